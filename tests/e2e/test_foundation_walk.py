"""Browser walks of the foundation: each role's home, login gate, customer and product forms."""

import re

import pytest
from playwright.sync_api import expect

from core.roles import ALL_ROLES
from customers.models import Customer
from orders.models import Product
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORKBENCH = {
    "sales_assistant": "销售助理工作台",
    "sales_manager": "销售经理工作台",
    "sales_director": "销售总监工作台",
    "warehouse": "仓储/生产工作台",
    "logistics": "物流工作台",
    "account_manager": "客户经理工作台",
    "aftersales": "售后工作台",
    "data_admin": "数据管理员工作台",
    "legal": "法务工作台",
    "general_manager": "总经理工作台",
}


def test_anonymous_visitor_is_sent_to_the_login_page(page, live_server):
    page.goto(f"{live_server.url}/customers/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/customers/$"))
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_each_demo_role_logs_in_and_sees_its_own_workbench(page, login, screenshot):
    assert set(WORKBENCH) == set(ALL_ROLES)
    for role, heading in WORKBENCH.items():
        UserFactory(username=f"demo_{role}", roles=[role])
        login(f"demo_{role}", PASSWORD)
        panel = page.locator(f'section[data-role="{role}"]')
        expect(panel).to_contain_text(heading)
        expect(page.locator("section[data-role]")).to_have_count(1)
        if role in ("sales_assistant", "warehouse"):
            screenshot(f"home-{role}")
        page.get_by_test_id("user-menu").click()
        page.get_by_role("button", name="退出登录").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_wrong_password_is_refused_with_a_message(page, login):
    UserFactory(username="someone", roles=["logistics"])
    login("someone", "wrong-password")
    expect(page.locator(".alert-danger")).to_contain_text("请输入一个正确的")


def test_assistant_enters_a_customer_and_fixes_a_bad_credit_code(page, login, screenshot):
    UserFactory(username="li", roles=["sales_assistant"])
    login("li", PASSWORD)
    page.get_by_role("link", name="客户").first.click()
    page.get_by_role("link", name="新建客户").first.click()
    page.fill("#id_name", "新客户科技有限公司")
    page.fill("#id_credit_code", "91350100M000100Y44")
    page.select_option("#id_region", "north")
    page.select_option("#id_industry", "it")
    page.fill("#id_contacts-0-name", "李先生")
    page.fill("#id_contacts-0-mobile", "1380013800")
    page.check("#id_contacts-0-is_primary")
    page.fill("#id_addresses-0-address", "北京市海淀区路1号")
    page.fill("#id_addresses-0-postcode", "100080")
    page.get_by_role("button", name="保存").click()

    expect(page.locator('[data-field-error="credit_code"]')).to_contain_text("校验位不正确")
    expect(page.locator('[data-field-error="mobile"]')).to_contain_text("11 位大陆手机号码")
    screenshot("customer-form-errors")
    assert not Customer.objects.exists()

    page.fill("#id_credit_code", "91350100M000100Y43")
    page.fill("#id_contacts-0-mobile", "13800138000")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("新客户科技有限公司")
    expect(page.locator("h2")).to_have_text("新客户科技有限公司")
    expect(page.locator("#history")).to_contain_text("创建了")
    screenshot("customer-detail")
    assert Customer.objects.get().contacts.get().mobile == "13800138000"


def test_adding_a_second_contact_row_in_place(page, login):
    UserFactory(username="li", roles=["sales_assistant"])
    login("li", PASSWORD)
    page.goto(page.url.rstrip("/") + "/customers/new/")
    page.locator('[data-formset-add="contacts"]').click()
    expect(page.locator("#id_contacts-1-name")).to_be_visible()
    expect(page.locator("#id_contacts-TOTAL_FORMS")).to_have_value("2")


def test_manager_cannot_save_a_negative_price(page, login, screenshot):
    UserFactory(username="boss", roles=["sales_manager"])
    login("boss", PASSWORD)
    page.get_by_role("link", name="产品目录").first.click()
    page.get_by_role("link", name="新建产品").first.click()
    page.fill("#id_code", "S-001")
    page.fill("#id_name", "服务器A型")
    page.fill("#id_spec", "S-001")
    page.fill("#id_list_price", "-5000")
    page.get_by_role("button", name="保存").click()
    expect(page.locator('[data-field-error="list_price"]')).to_contain_text("价格不能为负数")
    screenshot("product-form-errors")
    assert not Product.objects.exists()
