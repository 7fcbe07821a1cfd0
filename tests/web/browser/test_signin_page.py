"""Sign-in in a real browser: the front door leads to it; a first sign-in sets up the
second factor from the key the page shows; a later one asks for the code; each page
labelled, with no serious or critical accessibility violation and no script refused by
the Content-Security-Policy (the browsing fixture fails on any)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.web.browser import axe


def test_the_front_door_leads_to_a_sign_in_page_that_axe_passes(page, server, shots):
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert urlsplit(page.url).path == "/sign-in", page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
    # The partnership's name in the header, not GOV.UK's.
    assert "Testshire Safeguarding Partnership" in page.inner_text("header")
    assert "GOV.UK" not in page.inner_text("body")
    shots.take(page, "sign-in")
    axe.check(page, "the sign-in page")


def test_a_wrong_passphrase_is_refused_without_echoing_it(page, server, shots):
    page.goto("/sign-in")
    page.get_by_label("Your name on the ledger").fill("p1")
    page.get_by_label("Passphrase", exact=True).fill("not p1's made-up passphrase")
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    assert "The name, passphrase or code is not right" in summary.inner_text()
    assert "not p1's made-up passphrase" not in page.content()
    shots.take(page, "sign-in-refused")
    axe.check(page, "the sign-in page with its error")


def test_first_sign_in_enrols_then_the_next_asks_for_the_code(people, shots):
    today = people.sign_in("p1", look=True)  # sign-in, enrolment
    assert today.get_by_role("heading", level=1).inner_text().startswith("Today")
    today.get_by_role("button", name="Sign out").click()
    today.wait_for_url("**/sign-in")
    again = people.sign_in("p1", look=True)  # sign-in, code
    assert again.get_by_role("heading", level=1).inner_text().startswith("Today")
    shots.take(again, "today")
    axe.check(again, "the Today page")


def test_a_page_the_roles_do_not_offer_is_refused_plainly(people, shots):
    page = people.sign_in("p1")
    response = page.goto("/record/incident-referred")  # the business unit's to record
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == \
        "You do not have access to this page"
    shots.take(page, "forbidden")
    axe.check(page, "the 403 page")
