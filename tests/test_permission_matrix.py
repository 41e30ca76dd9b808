"""Every URL of the portal, as anonymous and as each role, GET and POST, against a declared matrix.

The URL list comes from the resolver, so a new view cannot escape: the coverage test fails
until the view has a row in MATRIX. Each request runs in a savepoint that is rolled back,
so a POST that happens to succeed (e.g. submitting the draft) does not change what the next
request sees, and the client's cookies are restored after it (logout, language switch).

Expected classes: ``OK`` 200, ``LOGIN`` 302 to the login page, ``REDIRECT`` 302 elsewhere
(a form's or a step's "done" answer), ``DENIED`` 403, ``MISSING`` 404, ``NOT_ALLOWED`` 405,
``ANY`` anything but a 500 (the answer depends on data, e.g. a step that needs fields).

To see what the portal answers today (e.g. to add a new view):
``MATRIX_DUMP=1 pytest tests/test_permission_matrix.py -s``.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core.roles import ALL_ROLES, SALES_ASSISTANT

OK, LOGIN, REDIRECT, DENIED, MISSING, NOT_ALLOWED, ANY = (
    "200",
    "login",
    "redirect",
    "403",
    "404",
    "405",
    "any",
)
BAD_REQUEST = "400"
CONFLICT = "409"  # the refusal page: the object's state does not allow the step
ANON = "anonymous"
PRINCIPALS = (ANON, *ALL_ROLES)
NO_SUCH_ID = 987654321

# Not walked, on purpose:
EXCLUDED_PREFIXES = (
    # Django's admin has its own staff-only login and permission checks, tested by Django
    # (and core/tests/test_admin.py for what we customise); no role user is staff.
    "admin/",
    # The customer's pages: no roles, the link's token is the credential; every one of them
    # is walked with valid, revoked, expired, forged and truncated tokens and with the
    # customer's cookies by customer_portal/tests/test_security.py.
    "c/<str:token>/",
    # The API: keys, not sessions (api/tests: every operation's 401 / 403 / 404 / 429, and
    # Schemathesis over every operation).
    "api/",
)
# Static files and uploads have no URL pattern at all: whitenoise serves /static/ before
# URL resolution and MEDIA_URL (/files/) is not routed (uploads go through views, below).

# Which object fills ``<pk>`` for a URL name (first matching prefix wins); other path
# arguments (doc_pk, att_pk, change_pk, amendment_pk) get an id that does not exist, and
# the routes below without an object get one too.
OBJECT_FOR_PREFIX = (
    ("customers:", "customer"),
    ("catalog:", "product"),
    ("orders:quotation_", "quotation"),
    ("orders:import_", None),  # no import job: a guessed id
    ("orders:", "order"),
    ("fulfillment:delivery_note", None),  # no shipment
    ("fulfillment:", "order"),
    ("contracts:", "contract"),
    ("aftersales:order", "order"),
    ("aftersales:record_acceptance", "order"),
    ("aftersales:log_visit", "order"),
    ("aftersales:open_complaint", "order"),
    ("aftersales:receipt", "order"),
    ("aftersales:issue_record", "order"),
    ("aftersales:visit_form", "order"),
    ("core:notification_read", "notification"),  # the sales assistant's notification
    ("customer_portal:link_send", "order"),
)
SLUG_VALUES = {"action": "submit", "decision": "approve"}
STRING_VALUES = {"uidb64": "MQ", "token": "set-password"}


def e(default: str, anon: str = LOGIN, **per_role: str) -> dict[str, str]:
    """One row of the matrix: ``default`` for every role, with exceptions by role name."""
    unknown = set(per_role) - set(ALL_ROLES)
    assert not unknown, unknown
    return {ANON: anon, **{role: per_role.get(role, default) for role in ALL_ROLES}}


# The objects: one customer (not assigned to the account manager), one approved order
# entered by the sales assistant, a draft quotation and a draft contract of the sales
# assistant's, a notification of the sales assistant's. Rows that answer REDIRECT for
# every role are views whose service checks the actor and turns a refusal into a message.
MATRIX: dict[str, dict[str, dict[str, str]]] = {
    "login": {
        "GET": e(OK, anon=OK),
        "POST": e(OK, anon=OK),
    },
    "logout": {
        "GET": e(NOT_ALLOWED),
        "POST": e(LOGIN),
    },
    "password_change": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "password_change_done": {
        "GET": e(OK),
        "POST": e(NOT_ALLOWED),
    },
    "password_reset": {
        "GET": e(OK, anon=OK),
        "POST": e(OK, anon=OK),
    },
    "password_reset_done": {
        "GET": e(OK, anon=OK),
        "POST": e(NOT_ALLOWED, anon=NOT_ALLOWED),
    },
    "password_reset_confirm": {
        "GET": e(OK, anon=OK),
        "POST": e(OK, anon=OK),
    },
    "password_reset_complete": {
        "GET": e(OK, anon=OK),
        "POST": e(NOT_ALLOWED, anon=NOT_ALLOWED),
    },
    "customers:list": {
        "GET": e(OK, warehouse=DENIED, logistics=DENIED),
        "POST": e(OK, warehouse=DENIED, logistics=DENIED),
    },
    "customers:create": {
        "GET": e(DENIED, sales_assistant=OK, sales_manager=OK, account_manager=OK, data_admin=OK),
        "POST": e(DENIED, sales_assistant=OK, sales_manager=OK, account_manager=OK, data_admin=OK),
    },
    "customers:detail": {
        "GET": e(OK, warehouse=DENIED, logistics=DENIED, account_manager=MISSING),
        "POST": e(OK, warehouse=DENIED, logistics=DENIED, account_manager=MISSING),
    },
    "customers:edit": {
        "GET": e(
            DENIED, sales_assistant=OK, sales_manager=OK, account_manager=MISSING, data_admin=OK
        ),
        "POST": e(
            DENIED, sales_assistant=OK, sales_manager=OK, account_manager=MISSING, data_admin=OK
        ),
    },
    "customers:document_upload": {
        "GET": e(NOT_ALLOWED),
        "POST": e(
            DENIED,
            sales_assistant=REDIRECT,
            sales_manager=REDIRECT,
            account_manager=MISSING,
            data_admin=REDIRECT,
        ),
    },
    "customers:document_download": {
        "GET": e(MISSING, warehouse=DENIED, logistics=DENIED),
        "POST": e(MISSING, warehouse=DENIED, logistics=DENIED),
    },
    "customers:document_delete": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_manager=MISSING, data_admin=MISSING),
    },
    "catalog:list": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "catalog:create": {
        "GET": e(DENIED, sales_manager=OK, data_admin=OK),
        "POST": e(DENIED, sales_manager=OK, data_admin=OK),
    },
    "catalog:detail": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "catalog:edit": {
        "GET": e(DENIED, sales_manager=OK, data_admin=OK),
        "POST": e(DENIED, sales_manager=OK, data_admin=OK),
    },
    "orders:list": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "orders:create": {
        "GET": e(DENIED, sales_assistant=OK),
        "POST": e(DENIED, sales_assistant=OK),
    },
    "orders:line_row": {
        "GET": e(DENIED, sales_assistant=OK),
        "POST": e(NOT_ALLOWED),
    },
    "orders:totals": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=OK),
    },
    "orders:customer_search": {
        "GET": e(DENIED, sales_assistant=OK),
        "POST": e(NOT_ALLOWED),
    },
    "orders:product_search": {
        "GET": e(DENIED, sales_assistant=OK),
        "POST": e(NOT_ALLOWED),
    },
    "orders:customer_quick_create": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=OK, sales_manager=OK, account_manager=OK, data_admin=OK),
    },
    "orders:approvals": {
        "GET": e(DENIED, sales_manager=OK, sales_director=OK),
        "POST": e(DENIED, sales_manager=OK, sales_director=OK),
    },
    "orders:detail": {
        "GET": e(OK),
        "POST": e(OK),
    },
    # The order is confirmed: the engine checks the state before the person (409 for all).
    "orders:approve": {
        "GET": e(NOT_ALLOWED),
        "POST": e(CONFLICT),
    },
    "orders:return": {
        "GET": e(NOT_ALLOWED),
        "POST": e(CONFLICT),
    },
    # Allowed people are asked for the missing reason (400); no hold, no request: 409.
    "orders:credit_release": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_manager=BAD_REQUEST),
    },
    "orders:cancel_request": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=BAD_REQUEST, sales_manager=BAD_REQUEST),
    },
    # A draft is discarded by its maker; the matrix's order is confirmed: 409.
    "orders:discard": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=CONFLICT),
    },
    "orders:cancel_decide": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_manager=CONFLICT),
    },
    "orders:change": {
        "GET": e(DENIED, sales_assistant=OK),
        "POST": e(DENIED, sales_assistant=OK),
    },
    "orders:change_decide": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "orders:edit": {
        "GET": e(DENIED, sales_assistant=CONFLICT),
        "POST": e(DENIED, sales_assistant=CONFLICT),
    },
    "orders:submit": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=CONFLICT),
    },
    "orders:request_info": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=CONFLICT, sales_manager=CONFLICT),
    },
    # An empty form: refused as invalid input before the step (400).
    "orders:log_contact": {
        "GET": e(NOT_ALLOWED),
        "POST": e(BAD_REQUEST),
    },
    "orders:resubmit": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=CONFLICT),
    },
    "orders:reject": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=CONFLICT, sales_manager=CONFLICT),
    },
    "orders:pass_review": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=CONFLICT, sales_manager=CONFLICT),
    },
    "orders:attachment_upload": {
        "GET": e(NOT_ALLOWED),
        "POST": e(BAD_REQUEST),
    },
    "orders:attachment_download": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "orders:review_form": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "orders:review_form_pdf": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "orders:confirmation": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "orders:confirmation_pdf": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "orders:transfer": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "orders:transfer_pdf": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "orders:import": {
        "GET": e(DENIED, sales_manager=OK, data_admin=OK),
        "POST": e(DENIED, sales_manager=OK, data_admin=OK),
    },
    "orders:import_job": {
        "GET": e(DENIED, sales_manager=MISSING, data_admin=MISSING),
        "POST": e(DENIED, sales_manager=MISSING, data_admin=MISSING),
    },
    "orders:import_progress": {
        "GET": e(DENIED, sales_manager=MISSING, data_admin=MISSING),
        "POST": e(NOT_ALLOWED),
    },
    "orders:import_run": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_manager=MISSING, data_admin=MISSING),
    },
    "orders:export": {
        "GET": e(OK),
        "POST": e(NOT_ALLOWED),
    },
    "orders:export_customers": {
        "GET": e(OK, warehouse=DENIED, logistics=DENIED),
        "POST": e(NOT_ALLOWED, warehouse=DENIED, logistics=DENIED),
    },
    "orders:export_products": {
        "GET": e(OK),
        "POST": e(NOT_ALLOWED),
    },
    "orders:quotation_list": {
        "GET": e(OK, warehouse=DENIED, logistics=DENIED, aftersales=DENIED),
        "POST": e(OK, warehouse=DENIED, logistics=DENIED, aftersales=DENIED),
    },
    "orders:quotation_create": {
        "GET": e(DENIED, sales_assistant=OK, account_manager=OK),
        "POST": e(DENIED, sales_assistant=OK, account_manager=OK),
    },
    "orders:quotation_detail": {
        "GET": e(
            OK, warehouse=DENIED, logistics=DENIED, account_manager=MISSING, aftersales=DENIED
        ),
        "POST": e(
            OK, warehouse=DENIED, logistics=DENIED, account_manager=MISSING, aftersales=DENIED
        ),
    },
    "orders:quotation_edit": {
        "GET": e(DENIED, sales_assistant=OK, account_manager=MISSING),
        "POST": e(DENIED, sales_assistant=OK, account_manager=MISSING),
    },
    "orders:quotation_convert": {
        "GET": e(NOT_ALLOWED),
        # The matrix's quotation is a draft: converting it is refused (409).
        "POST": e(DENIED, sales_assistant=CONFLICT, account_manager=MISSING),
    },
    "orders:quotation_pdf": {
        "GET": e(
            OK, warehouse=DENIED, logistics=DENIED, account_manager=MISSING, aftersales=DENIED
        ),
        "POST": e(
            OK, warehouse=DENIED, logistics=DENIED, account_manager=MISSING, aftersales=DENIED
        ),
    },
    "orders:quotation_step": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=REDIRECT, account_manager=MISSING),
    },
    "orders:link_contract": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=REDIRECT, sales_manager=REDIRECT),
    },
    "fulfillment:warehouse": {
        "GET": e(DENIED, warehouse=OK),
        "POST": e(DENIED, warehouse=OK),
    },
    "fulfillment:logistics": {
        "GET": e(DENIED, logistics=OK),
        "POST": e(DENIED, logistics=OK),
    },
    "fulfillment:stock": {
        "GET": e(OK),
        "POST": e(DENIED, warehouse=OK),
    },
    "insights:dashboard": {
        "GET": e(OK, aftersales=DENIED, data_admin=DENIED, legal=DENIED),
        "POST": e(NOT_ALLOWED),
    },
    "insights:order_hints": {
        "GET": e(NOT_ALLOWED),
        "POST": e(OK),
    },
    "insights:decide": {  # no suggestion with that id: the warehouse gets a 404
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, warehouse=MISSING),
    },
    "fulfillment:order": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "fulfillment:confirm_stock": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, warehouse=BAD_REQUEST),
    },
    "fulfillment:schedule_service": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED),  # the warehouse too: the matrix's order is a goods order
    },
    "fulfillment:change_warehouse": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, warehouse=BAD_REQUEST),
    },
    "fulfillment:record_answer": {
        "GET": e(NOT_ALLOWED),
        "POST": e(BAD_REQUEST),
    },
    "fulfillment:add_progress": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, warehouse=BAD_REQUEST),
    },
    "fulfillment:save_preparation": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, warehouse=BAD_REQUEST),
    },
    "fulfillment:mark_ready": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, warehouse=CONFLICT),
    },
    "fulfillment:ship": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, logistics=BAD_REQUEST),
    },
    "fulfillment:record_delivery": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, logistics=CONFLICT, account_manager=CONFLICT),
    },
    "fulfillment:preparation_form": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "fulfillment:preparation_form_pdf": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "fulfillment:delivery_note": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "fulfillment:delivery_note_pdf": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "reports:monthly": {
        "GET": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
        "POST": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
    },
    "reports:monthly_pdf": {
        "GET": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
        "POST": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
    },
    "reports:monthly_xlsx": {
        "GET": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
        "POST": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
    },
    "reports:dashboard": {
        "GET": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
        "POST": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
    },
    "reports:archive": {
        "GET": e(DENIED, data_admin=OK),
        "POST": e(DENIED, data_admin=OK),
    },
    "reports:improvements": {
        "GET": e(DENIED, sales_manager=OK, sales_director=OK, data_admin=OK, general_manager=OK),
        "POST": e(DENIED, sales_manager=OK),
    },
    "reports:improvement_status": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_manager=MISSING),
    },
    # Monthly archive packages (issue «Monthly archive»): the data administrator's only.
    "reports:packages": {
        "GET": e(DENIED, data_admin=OK),
        "POST": e(DENIED, data_admin=OK),
    },
    "reports:package_request": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, data_admin=REDIRECT),
    },
    "reports:package_download": {
        "GET": e(DENIED, data_admin=MISSING),  # no package: a guessed id
        "POST": e(DENIED, data_admin=MISSING),
    },
    "contracts:list": {
        "GET": e(OK, warehouse=DENIED, logistics=DENIED, aftersales=DENIED),
        "POST": e(OK, warehouse=DENIED, logistics=DENIED, aftersales=DENIED),
    },
    "contracts:create": {
        "GET": e(DENIED, sales_assistant=OK, account_manager=OK),
        "POST": e(DENIED, sales_assistant=OK, account_manager=OK),
    },
    "contracts:detail": {
        "GET": e(
            OK, warehouse=DENIED, logistics=DENIED, account_manager=MISSING, aftersales=DENIED
        ),
        "POST": e(
            OK, warehouse=DENIED, logistics=DENIED, account_manager=MISSING, aftersales=DENIED
        ),
    },
    "contracts:edit": {
        "GET": e(DENIED, sales_assistant=OK, account_manager=MISSING),
        "POST": e(DENIED, sales_assistant=OK, account_manager=MISSING),
    },
    "contracts:sign": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, account_manager=MISSING),
    },
    "contracts:scan": {
        "GET": e(MISSING, warehouse=DENIED, logistics=DENIED, aftersales=DENIED),
        "POST": e(MISSING, warehouse=DENIED, logistics=DENIED, aftersales=DENIED),
    },
    "contracts:amend": {
        "GET": e(NOT_ALLOWED),
        # An empty amendment form is refused (400).
        "POST": e(DENIED, sales_assistant=BAD_REQUEST, account_manager=MISSING),
    },
    "contracts:amendment_decide": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING, warehouse=DENIED, logistics=DENIED, aftersales=DENIED),
    },
    "contracts:step": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=REDIRECT, account_manager=MISSING),
    },
    "archive:register": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "archive:document_open": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "archive:disposal": {
        "GET": e(DENIED, data_admin=OK),
        "POST": e(DENIED, data_admin=OK),
    },
    "archive:dispose": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, data_admin=MISSING),
    },
    "archive:borrowings": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "archive:borrowing_create": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "archive:borrowing_detail": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "archive:borrowing_return": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "archive:borrowing_decide": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "archive:access_log": {
        "GET": e(DENIED, data_admin=OK, general_manager=OK),
        "POST": e(DENIED, data_admin=OK, general_manager=OK),
    },
    "aftersales:account_work": {
        "GET": e(DENIED, account_manager=OK),
        "POST": e(DENIED, account_manager=OK),
    },
    "aftersales:tickets": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "aftersales:order": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "aftersales:record_acceptance": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, account_manager=BAD_REQUEST),
    },
    "aftersales:log_visit": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, account_manager=BAD_REQUEST),
    },
    "aftersales:open_complaint": {
        "GET": e(NOT_ALLOWED),
        "POST": e(
            DENIED, sales_manager=BAD_REQUEST, account_manager=BAD_REQUEST, aftersales=BAD_REQUEST
        ),
    },
    "aftersales:receipt": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:issue_record": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:issue_record_pdf": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:visit_form": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:visit_form_pdf": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:photo": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:photo_thumb": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:ticket": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:ticket_respond": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "aftersales:ticket_assign": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "aftersales:ticket_repair": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "aftersales:ticket_resolve": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "aftersales:ticket_rate": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "aftersales:ticket_record": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:ticket_record_pdf": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:replacement_ship": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "aftersales:ticket_replace": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "aftersales:replacements": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "aftersales:replacement_detail": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "aftersales:replacement_arrive": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "aftersales:replacement_cancel": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    # Finance: the settlement statement (credit data: managers, director, GM, data admin).
    "finance:statement": {
        "GET": e(
            DENIED,
            sales_manager=MISSING,
            sales_director=MISSING,
            data_admin=MISSING,
            general_manager=MISSING,
        ),
        "POST": e(
            DENIED,
            sales_manager=MISSING,
            sales_director=MISSING,
            data_admin=MISSING,
            general_manager=MISSING,
        ),
    },
    "finance:statement_pdf": {
        "GET": e(
            DENIED,
            sales_manager=MISSING,
            sales_director=MISSING,
            data_admin=MISSING,
            general_manager=MISSING,
        ),
        "POST": e(
            DENIED,
            sales_manager=MISSING,
            sales_director=MISSING,
            data_admin=MISSING,
            general_manager=MISSING,
        ),
    },
    "finance:note_issue": {
        "GET": e(NOT_ALLOWED),
        "POST": e(
            DENIED,
            sales_manager=MISSING,
            sales_director=MISSING,
            data_admin=MISSING,
            general_manager=MISSING,
        ),
    },
    # The data administrator's webhook log (api/webhooks/views.py).
    "webhooks:list": {
        "GET": e(DENIED, data_admin=OK),
        "POST": e(DENIED, data_admin=OK),
    },
    "webhooks:deliveries": {
        "GET": e(DENIED, data_admin=MISSING),
        "POST": e(DENIED, data_admin=MISSING),
    },
    "webhooks:resume": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, data_admin=MISSING),
    },
    "webhooks:replay": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, data_admin=MISSING),
    },
    "core:home": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "core:healthz": {
        "GET": e(OK, anon=OK),
        "POST": e(NOT_ALLOWED, anon=NOT_ALLOWED),
    },
    "core:readyz": {
        # 200 or 503 by the state of database, broker and migrations, not by who asks;
        # tests/test_health_and_logs.py checks both answers.
        "GET": e(ANY, anon=ANY),
        "POST": e(NOT_ALLOWED, anon=NOT_ALLOWED),
    },
    "core:my_work": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "core:notifications": {
        "GET": e(OK),
        "POST": e(OK),
    },
    "core:notification_read": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING, sales_assistant=REDIRECT),
    },
    "core:notifications_read_all": {
        "GET": e(NOT_ALLOWED),
        "POST": e(REDIRECT),
    },
    # 发送客户链接 on the order page: the order's creator / owner (an empty POST names no
    # contact: the page again with the reason); revoke and the signature: no such object.
    "customer_portal:link_send": {
        "GET": e(NOT_ALLOWED),
        "POST": e(DENIED, sales_assistant=REDIRECT),
    },
    "customer_portal:link_revoke": {
        "GET": e(NOT_ALLOWED),
        "POST": e(MISSING),
    },
    "customer_portal:signature_image": {
        "GET": e(MISSING),
        "POST": e(MISSING),
    },
    "core:set_language": {
        "GET": e(NOT_ALLOWED, anon=NOT_ALLOWED),
        "POST": e(REDIRECT, anon=REDIRECT),
    },
}


def walk(patterns: list, prefix: str = "", namespace: str | None = None) -> Iterator:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name


def walked_routes() -> list[tuple[str, str]]:
    routes = [
        (route, name)
        for route, name in walk(get_resolver().url_patterns)
        if not route.startswith(EXCLUDED_PREFIXES)
    ]
    assert all(name for _route, name in routes), "every walked URL pattern needs a name"
    return routes


def object_key(name: str) -> str | None:
    return next((key for prefix, key in OBJECT_FOR_PREFIX if name.startswith(prefix)), None)


def fill(route: str, name: str, objects: dict[str, int]) -> str:
    def value(match: re.Match) -> str:
        converter, arg = match.group(1) or "str", match.group(2)
        if converter == "int":
            key = object_key(name) if arg == "pk" else None
            return str(objects[key]) if key else str(NO_SUCH_ID)
        if converter == "slug":
            return SLUG_VALUES[arg]
        return STRING_VALUES[arg]

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def classify(response) -> str:  # type: ignore[no-untyped-def]
    if response.status_code == 302:
        return LOGIN if response["Location"].startswith("/accounts/login/") else REDIRECT
    return str(response.status_code)


def matches(expected: str, got: str) -> bool:
    return got != "500" and (expected in (ANY, got))


def test_every_resolved_url_pattern_is_in_the_matrix():
    names = {name for _route, name in walked_routes()}
    assert names, "the resolver gave no URL patterns"
    missing = sorted(names - MATRIX.keys())
    stale = sorted(MATRIX.keys() - names)
    assert not missing, f"URL patterns without a row in MATRIX: {missing}"
    assert not stale, f"MATRIX rows for URL patterns that no longer exist: {stale}"
    for name, row in MATRIX.items():
        assert set(row) == {"GET", "POST"}, name
        for method, cells in row.items():
            assert set(cells) == set(PRINCIPALS), (name, method)


@pytest.fixture
def principals(db) -> dict[str, Client]:  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    clients = {ANON: Client()}
    for role in ALL_ROLES:
        client = Client()
        client.force_login(UserFactory(username=f"matrix_{role}", roles=[role]))
        clients[role] = client
    return clients


@pytest.fixture
def objects(principals) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from core.models import Notification
    from orders.services.orders import order_recalculate_total
    from tests.factories import (
        ContractFactory,
        CustomerFactory,
        OrderFactory,
        OrderLineFactory,
        ProductFactory,
        make_quotation,
    )

    assistant = get_user_model().objects.get(username=f"matrix_{SALES_ASSISTANT}")
    customer = CustomerFactory()
    # An approved order, so that fulfillment and after-sales pages have something to show.
    order = OrderFactory(
        customer=customer, owner=assistant, created_by=assistant, status="confirmed"
    )
    OrderLineFactory(order=order)
    order_recalculate_total(order=order)
    return {
        "customer": customer.pk,
        "product": ProductFactory().pk,
        "order": order.pk,
        "quotation": make_quotation(owner=assistant, customer=customer).pk,
        "contract": ContractFactory(customer=customer).pk,
        "notification": Notification.objects.create(recipient=assistant, title="matrix").pk,
    }


def observe(principals: dict[str, Client], objects: dict[str, int]) -> dict:
    observed: dict[tuple[str, str, str], str] = {}
    timing: Counter[str] = Counter()
    for route, name in walked_routes():
        url = fill(route, name, objects)
        for who, client in principals.items():
            for method in ("GET", "POST"):
                cookies = copy.deepcopy(client.cookies)
                t0 = time.monotonic()
                try:
                    with transaction.atomic():
                        response = getattr(client, method.lower())(url)
                        transaction.set_rollback(True)
                    got = classify(response)
                except Exception as exc:  # a view that raises is the 500 we look for
                    got = f"500 {exc!r}"[:200]
                client.cookies = cookies
                timing[name] += time.monotonic() - t0
                observed[(name, method, who)] = got
    if os.environ.get("MATRIX_DUMP"):
        print("TIMING", timing.most_common(25))
    return observed


def dump(observed: dict) -> None:  # pragma: no cover - a helper for whoever adds a view
    names = dict.fromkeys(name for name, _m, _w in observed)
    for name in names:
        print(f'    "{name}": {{')
        for method in ("GET", "POST"):
            cells = {who: observed[(name, method, who)] for who in PRINCIPALS}
            default = Counter(cells[r] for r in ALL_ROLES).most_common(1)[0][0]
            extra = "".join(f", {r}={cells[r]!r}" for r in ALL_ROLES if cells[r] != default)
            print(f'        "{method}": e({default!r}, anon={cells[ANON]!r}{extra}),')
        print("    },")


def test_every_url_answers_each_role_as_the_matrix_says(principals, objects, monkeypatch):
    # Rendering every PDF for every role would take half a minute; the templates still
    # render, only WeasyPrint's layout is skipped (PDF content has its own tests).
    from weasyprint import HTML

    monkeypatch.setattr(HTML, "write_pdf", lambda self, *args, **kwargs: b"%PDF-1.7 matrix")
    observed = observe(principals, objects)
    if os.environ.get("MATRIX_DUMP"):
        dump(observed)
    crashes = {key: got for key, got in observed.items() if got.startswith("500")}
    assert not crashes, f"{len(crashes)} requests answered 500: {crashes}"
    wrong = {
        key: (MATRIX[key[0]][key[1]][key[2]], got)
        for key, got in observed.items()
        if key[0] in MATRIX and not matches(MATRIX[key[0]][key[1]][key[2]], got)
    }
    assert not wrong, (
        f"{len(wrong)} of {len(observed)} answers differ from the matrix (expected, got): {wrong}"
    )
    # 134 patterns x 11 principals x 2 methods when this was written.
    assert len(observed) == len(walked_routes()) * len(PRINCIPALS) * 2
