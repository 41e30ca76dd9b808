"""core.messages: a message is stored as its key and parameters and rendered in the
reader's language — nested messages, lazy strings with a context, dates and times in the
reader's format, and the stored text of rows written before messages existed."""

import datetime as dt
import json
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.messages import (
    Msg,
    date_param,
    datetime_param,
    join_messages,
    message_json,
    message_store,
    message_text,
)
from core.models import NotificationVerb, SlaKind

CONFIRMED = gettext_lazy("Order %(number)s is confirmed: please prepare it")


def test_a_message_renders_in_the_language_asked_not_the_one_it_was_written_in():
    with translation.override("zh-hans"):
        message = Msg(CONFIRMED, number="202611-001")
        stored = message.as_json()
    assert stored == {
        "key": "Order %(number)s is confirmed: please prepare it",
        "params": {"number": "202611-001"},
    }
    assert message.render("en") == "Order 202611-001 is confirmed: please prepare it"
    chinese = message.render("zh-hans")
    assert "202611-001" in chinese and "Order" not in chinese
    with translation.override("en"):
        assert str(message) == "Order 202611-001 is confirmed: please prepare it"


def test_the_json_survives_a_round_trip_through_the_database_format():
    message = Msg(CONFIRMED, number="202611-001")
    again = Msg.from_json(json.loads(json.dumps(message.as_json())))
    assert again == message
    assert again.render("en") == message.render("en")


def test_nested_parameters_are_rendered_in_the_readers_language_too():
    """A status label, a lazy string and a message inside a message: each in the reader's
    language, however deep."""
    inner = Msg(gettext_lazy("QC: %(result)s"), result=gettext_lazy("Passed"))
    outer = Msg(
        gettext_lazy("Deadline soon: %(kind)s — %(object)s"),
        kind=SlaKind.DELIVERY_RISK,
        object=inner,
    )
    stored = json.loads(json.dumps(outer.as_json()))
    assert stored["params"]["kind"] == {"msg": {"key": str(SlaKind.DELIVERY_RISK.label._args[0])}}
    english = Msg.from_json(stored).render("en")
    assert english == f"Deadline soon: {SlaKind.DELIVERY_RISK.label._args[0]} — QC: Passed"
    with translation.override("zh-hans"):
        chinese = Msg.from_json(stored).render()
        assert str(SlaKind.DELIVERY_RISK.label) in chinese
    assert chinese != english
    assert not any("a" <= ch.lower() <= "z" for ch in chinese), chinese


def test_a_text_choices_member_is_stored_as_its_label_message():
    message = Msg("%(verb)s", verb=NotificationVerb.CLOCK_WARNING)
    assert message.render("en") == "Deadline soon"
    with translation.override("zh-hans"):
        assert message.render() == str(NotificationVerb.CLOCK_WARNING.label) != "Deadline soon"


def test_a_lazy_string_keeps_its_context():
    may = pgettext_lazy("month", "May")
    message = Msg(may)
    assert message.as_json() == {"key": "May", "ctx": "month"}
    assert Msg.from_json(message.as_json()).render("en") == "May"
    with translation.override("zh-hans"):
        assert Msg.from_json(message.as_json()).render() == translation.pgettext("month", "May")


def test_dates_and_times_are_formatted_on_reading_in_the_portals_time_zone():
    moment = dt.datetime(2026, 11, 27, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    message = Msg(
        gettext_lazy("Deadline %(due)s, delivery %(day)s"),
        due=datetime_param(moment),
        day=date_param(dt.date(2026, 12, 3)),
    )
    stored = message.as_json()
    assert stored["params"]["due"] == {"datetime": moment.isoformat()}
    assert stored["params"]["day"] == {"date": "2026-12-03"}
    with timezone.override("Asia/Shanghai"):
        english = message.render("en")
        chinese = message.render("zh-hans")
    assert english == "Deadline 2026-11-27 09:30, delivery 2026-12-03"
    assert chinese == "Deadline 2026年11月27日 09:30, delivery 2026年12月3日"


def test_plain_dates_datetimes_and_decimals_given_directly_are_stored_as_data():
    message = Msg(
        "%(a)s %(b)s %(c)s",
        a=dt.date(2026, 1, 2),
        b=Decimal("10.50"),
        c=dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
    )
    assert message.params["a"] == {"date": "2026-01-02"}
    assert message.params["b"] == "10.50"
    assert message.params["c"] == {"datetime": "2026-01-02T03:04:00+00:00"}
    json.dumps(message.as_json())  # all JSON


def test_rows_from_before_messages_show_their_stored_text():
    assert message_text(None, "旧的通知") == "旧的通知"
    assert message_text({}, "旧的通知") == "旧的通知"
    assert message_text({"key": ""}, "old text") == "old text"
    stored = Msg(CONFIRMED, number="1").as_json()
    assert message_text(stored, "旧的通知", "en") == "Order 1 is confirmed: please prepare it"


def test_a_catalogue_entry_that_lost_a_placeholder_still_shows_the_message():
    message = Msg("Order %(number)s", number="7")
    message.params = {}  # the parameters went missing
    assert message.render("en") == "Order %(number)s"
    broken = Msg.from_json({"key": "Total %(total)s", "params": {"other": "1"}})
    assert broken.render("en") == "Total %(total)s"


def test_what_a_writer_stores_a_message_as_json_and_a_persons_words_as_written():
    text, stored = message_store(Msg(CONFIRMED, number="9"))
    with translation.override("zh-hans"):
        assert text == str(CONFIRMED) % {"number": "9"}  # the default language's text
    assert stored == {"key": str(CONFIRMED._args[0]), "params": {"number": "9"}}
    assert message_store("客户要求周五送货") == ("客户要求周五送货", None)
    assert message_store(None) == ("", None)
    assert message_json("plain text") is None
    assert message_json(gettext_lazy("Message")) == {"key": "Message"}


def test_joined_messages_render_each_part_in_the_readers_language():
    joined = join_messages(
        Msg(gettext_lazy("Due at %(due)s."), due="10:00"),
        None,
        "",
        "the customer's own words",
        Msg(gettext_lazy("Promised for %(date)s and not shipped yet."), date="2026-12-03"),
    )
    stored = json.loads(json.dumps(joined.as_json()))
    assert Msg.from_json(stored).render("en") == (
        "Due at 10:00.\nthe customer's own words\nPromised for 2026-12-03 and not shipped yet."
    )
    chinese = Msg.from_json(stored).render("zh-hans")
    assert "Due at" not in chinese and "Promised for" not in chinese
    assert "the customer's own words" in chinese
