"""Read commands: case list/show/history, deadlines, actions. Tables for people, --json
for machines (CLI.md shapes)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import Env, emit_json, pass_env, table
from cli.display import (london_time, named, note, outcome, publication_delay_lines,
                         read_only_note)
from cli.erase import case_erase
from cli.trail_display import awaiting_lines, trail_lines

CLOCK_COLUMNS = [("case", "CASE"), ("name", "CLOCK"), ("action", "ACTION"),
                 ("starts_on", "STARTS"), ("due_on", "DUE"), ("status", "STATUS"),
                 ("met_on", "MET ON"), ("note", "NOTE")]


@click.group()
def case() -> None:
    """Where each case stands: list, show (as of any past instant), decision history."""


case.add_command(case_erase)


@case.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def case_list(env: Env, as_json: bool) -> None:
    """Every case with its stage, its breached and at-risk clocks, and its escalations.

    BREACHED counts the statutory clocks only; an improvement action's escalation rungs
    (§13.4, §21.2: Head of Service, Chief Officer) are counted under ESCALATIONS."""
    from service.queries import Queries

    q = Queries(env.reader())
    rows = q.case_list()
    if as_json:
        emit_json(rows)
    else:
        table(rows, [("case", "CASE"), ("stage", "STAGE"), ("opened_on", "OPENED"),
                     ("events", "EVENTS"), ("breached", "BREACHED"),
                     ("at_risk", "AT RISK"), ("escalations", "ESCALATIONS"),
                     ("rule_set", "RULE SET")])
    read_only_note(q.read_only_note)
    q.check_readable()  # the rest is shown; then exit 1 naming the cases left out


@case.command("show")
@click.argument("ref")
@click.option("--as-of", help="an instant of recording: what the ledger had recorded by "
                               "then (events recorded later are left out, whenever they "
                               "occurred)")
@click.option("--occurred-by", help="a date: the case as it stood in the world then (only "
                                    "events that occurred on or before it; clocks judged "
                                    "at its end)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def case_show(env: Env, ref: str, as_of: str | None, occurred_by: str | None,
              as_json: bool) -> None:
    """One case: stage, decisions and every clock, optionally as the ledger knew it then
    (--as-of) or as the case stood in the world on a day (--occurred-by)."""
    from service.queries import Queries, parse_day, parse_instant

    view = Queries(env.reader()).view(ref, as_of_instant=parse_instant(as_of),
                                   occurred_by=parse_day(occurred_by, "occurred_by")
                                   ).as_json()
    view["clocks"] = named(view["clocks"])
    if as_json:
        emit_json(view)
        return
    known = "".join([f" (as known at {as_of})" if as_of else "",
                     f" (as it stood on {occurred_by})" if occurred_by else ""])
    click.echo(f"case {view['case']}{known}: stage {view['stage']}, opened "
               f"{view['opened_on']}, {view['events']} events, rule set {view['rule_set']}")
    if (erased := view.get("personal_data_erased")):  # issue 10 (case erase)
        click.echo(f"personal data erased on {erased['on']} by {erased['by']}, co-signed by "
                   f"{erased['cosigned_by']} ({erased['reason']})")
    click.echo("\ndecisions:")
    table([{**d, "outcome": outcome(d)} for d in view["decisions"]],
          [("occurred_at", "OCCURRED"), ("decision", "DECISION"), ("outcome", "OUTCOME"),
           ("recorded_by", "BY")])
    if view.get("awaiting_cosignature"):  # §8.9, §21.1 (issue 11 item 7)
        click.echo("\nawaiting co-signature:")
        for line in awaiting_lines(view["awaiting_cosignature"]):
            click.echo(line)
    click.echo("\nclocks:")
    table([{**c, "note": note(c)} for c in view["clocks"]], CLOCK_COLUMNS[1:])
    if view.get("agency_information"):  # §8.4 (issue 11)
        click.echo("\nagency information (§8.4: look-back of 3 years before the incident):")
        table([{**a, "flag": "older than 3 years before the incident (§8.4)"
                if a["beyond_look_back"] else ""} for a in view["agency_information"]],
              [("agency", "AGENCY"), ("involvement_from", "FROM"),
               ("involvement_to", "TO"), ("look_back_from", "LOOK-BACK FROM"),
               ("flag", "FLAG")])
    if view.get("publication_delay"):  # §19.1 (issue 11)
        click.echo("\npublication:")
        for line in publication_delay_lines(view["publication_delay"]):
            click.echo(line)


@case.command("history")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def case_history(env: Env, ref: str, as_json: bool) -> None:
    """The decision trail: who decided what, when, why, and under which key; and who
    read, disclosed or erased the case's personal data, when, why and which fields.

    Read from the signed events, each decision checked against its signature and key
    before it is shown (exit 1 naming the events that do not verify)."""
    from service.queries import Queries

    rows = Queries(env.app()).history(ref)
    if as_json:
        emit_json(rows)
        return
    for r in rows:  # issue 11 item 12: roles, signatures and what is pending too
        for line in trail_lines(r):
            click.echo(line)
    if not rows:
        click.echo("(no decisions or personal-data reads recorded)")


@case.command("diff")
@click.argument("ref")
@click.option("--from", "since", required=True, help="the earlier instant of recording")
@click.option("--to", "until", required=True, help="the later instant of recording")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def case_diff(env: Env, ref: str, since: str, until: str, as_json: bool) -> None:
    """What changed between two instants: events added, clocks changed, decisions made."""
    from service.queries import Queries, parse_instant

    d = Queries(env.reader()).diff(ref, parse_instant(since, "from"), parse_instant(until, "to"))
    if as_json:
        emit_json(d)
        return
    click.echo(f"case {ref}: {len(d['events_added'])} events recorded between {since} "
               f"and {until}")
    table(d["events_added"], [("position", "POS"), ("recorded_at", "RECORDED"),
                              ("occurred_at", "OCCURRED"), ("type", "EVENT"),
                              ("actor", "BY")])
    click.echo("\nclocks changed:")
    table(named(d["clocks_changed"]), [("name", "CLOCK"), ("action", "ACTION"),
                                       ("from", "FROM"), ("to", "TO"), ("due_on", "DUE"),
                                       ("met_on", "MET ON")])
    click.echo("\ndecisions made:")
    table([{**m, "outcome": outcome(m)} for m in d["decisions_made"]],
          [("occurred_at", "OCCURRED"), ("decision", "DECISION"), ("outcome", "OUTCOME"),
           ("recorded_by", "BY")])


@case.command("chronology")
@click.argument("ref")
@click.option("--include-personal", is_flag=True,
              help="open the sealed personal fields (needs --as with an entitled role, "
                   "their passphrase and --purpose; the read is recorded, signed)")
@click.option("--purpose", help="why the personal data is opened (required with "
                                "--include-personal; recorded in the ledger)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def case_chronology(env: Env, ref: str, include_personal: bool, purpose: str | None,
                    as_json: bool) -> None:
    """The chronology of Appendix 6, merged across agencies in the order events happened.

    Read from the signed events, each entry checked against its signature and key before
    it is shown. With --include-personal, a signed personal-data-accessed event (who, why,
    which fields) is appended first; if it is refused, nothing is shown."""
    from service.chronology import chronology
    from service.erasure import erasure_record

    erased = erasure_record(env.app(), ref) if include_personal else None
    if erased:  # issue 10: nothing personal is left to open, so nothing is read
        click.echo(f"case {ref}: personal data erased on {erased['on']} by {erased['by']} "
                   f"({erased['reason']}); shown without personal fields", err=True)
    rows = chronology(env.app(), env.home, ref, include_personal and not erased,
                      env.actor, purpose)
    # JSON keeps event_at as stored (UTC); event_at_london is the same instant in London.
    rows = [{**r, "event_at_london": london_time(r["event_at"])[0],
             "when": london_time(r["event_at"])[1]} for r in rows]
    if as_json:
        emit_json([{k: v for k, v in r.items() if k != "when"} for r in rows])
        return
    columns = [("when", "WHEN (LONDON)"), ("agency", "AGENCY"), ("source", "SOURCE"),
               ("child_seen", "CHILD SEEN")]
    if include_personal:
        columns.append(("significant_event", "SIGNIFICANT EVENT"))
    table(rows, columns)


@case.command("disclose")
@click.argument("ref")
@click.option("--to", "to", required=True,
              help="the recipient: a person with their role, or an organisation")
@click.option("--purpose", required=True, help="why the personal data is disclosed")
@click.option("--output", type=click.Path(dir_okay=False),
              help="write the JSON to this file (0600) instead of standard output")
@pass_env
def case_disclose(env: Env, ref: str, to: str, purpose: str, output: str | None) -> None:
    """Hand a case's personal data (JSON) to a named recipient, on record.

    Needs --as with a role entitled to read personal data, and their passphrase. A signed
    personal-data-disclosed event (who, to whom, why, which fields) is appended first; if
    it is refused, nothing is written."""
    from service.disclosure import check_output_target, disclose, write_disclosure

    if output:
        check_output_target(Path(output))
    disclosure = disclose(env.app(), env.home, ref, env.actor, to, purpose)
    if output:
        write_disclosure(Path(output), disclosure)
        click.echo(f"disclosed the personal data of {len(disclosure['events'])} event(s) "
                   f"of case {ref}; recorded at position {disclosure['record']['position']}")
    else:
        emit_json(disclosure)


@click.command()
@click.option("--case", "case_ref", help="only this case")
@click.option("--as-of", help="the London date at whose end clocks are judged (default today)")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def deadlines(env: Env, case_ref: str | None, as_of: str | None, as_json: bool) -> None:
    """Every statutory clock: start, due date, status, when it was met."""
    from service.queries import Queries, parse_day

    q = Queries(env.reader())
    rows = named(q.deadlines(case_ref, parse_day(as_of)))
    if as_json:
        emit_json(rows)
    else:
        table([{**r, "note": note(r)} for r in rows], CLOCK_COLUMNS)
    read_only_note(q.read_only_note)
    q.check_readable()


@click.command()
@click.option("--case", "case_ref", help="only this case")
@click.option("--as-of", help="the London date at whose end actions are judged")
@click.option("--json", "as_json", is_flag=True)
@pass_env
def actions(env: Env, case_ref: str | None, as_of: str | None, as_json: bool) -> None:
    """Improvement actions: original and current deadline, status, escalations."""
    from service.queries import Queries, parse_day

    q = Queries(env.reader())
    rows = q.actions(case_ref, parse_day(as_of))
    if as_json:
        emit_json(rows)
    else:
        table([{**r, "escalations": ", ".join(f"{e['level']} {e['on']}"
                                              for e in r["escalations"])} for r in rows],
              [("case", "CASE"), ("action", "ACTION"), ("agency", "AGENCY"),
               ("original_deadline", "ORIGINAL"), ("deadline", "DEADLINE"),
               ("status", "STATUS"), ("escalations", "ESCALATIONS")])
    read_only_note(q.read_only_note)
    q.check_readable()
