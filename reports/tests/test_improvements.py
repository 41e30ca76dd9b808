"""The improvement list of the monthly review: items carry over from month to month."""

from reports.models import ImprovementItem
from reports.selectors import improvements_for


def test_improvement_items_carry_over_until_done(client, make_user):
    manager = make_user("sales_manager")
    client.force_login(manager)
    client.post(
        "/reports/improvements/",
        {
            "period": "2026-09",
            "problem": "库存不足导致延期",
            "action": "提高安全库存",
            "owner": manager.pk,
            "due_date": "2026-10-31",
            "status": "open",
        },
    )
    item = ImprovementItem.objects.get()
    assert [i.pk for i in improvements_for(year=2026, month=11)] == [item.pk]
    client.post(f"/reports/improvements/{item.pk}/status/", {"status": "done"})
    item.refresh_from_db()
    assert item.status == "done" and item.done_at is not None
    assert improvements_for(year=2027, month=1) == []
    assert client.get("/reports/monthly/").status_code == 200
