"""The declarations of the procedure's further paths (issue 11 item 8): the National
Panel's requests and a national review (§9.3-9.6), telling the family (§16.1), the coroner
(§17.4), the media strategy (§20.1), the reviewer's supervision (§12.5) and the L&D
sub-group's outcome below threshold (App. 1). Not in EVENTS.md's tables; docs/events-local.md
says why each was added."""

from __future__ import annotations

from domain.declaring import (
    DECISIONS,
    LCSPR,
    OPTIONAL,
    OPTIONAL_PERSONAL,
    EventType,
    _bool,
    _date,
    _enum,
    _event,
    _name,
    _names,
    _reason,
    _text,
)

# The decisions a family may be told of (§9.5, §16.1): each names the recorded event that
# made it (domain/rules_paths.py refuses telling a family of a decision not yet recorded).
FAMILY_DECISIONS: dict[str, str] = {
    "threshold": "threshold-decided",
    "learning_route": "learning-route-decided",
    "review_level": "review-level-decided",
    "national_review": "national-panel-decided",
    "case_closed": "case-closed",
}

PATH_TYPES: tuple[EventType, ...] = (
    # --- The National Panel's dialogue and a national review (§9.3-9.6) -------------------
    # national-panel-decided keeps its further_information_requested flag (EVENTS.md); these
    # two record what was asked, what was sent and when, which the flag cannot.
    _event(
        "national-panel-information-requested", "business_unit", "case", DECISIONS,
        "The National Panel asked the partners for further information (§9.3-9.4).",
        "refused unless the National Panel was notified (§9.3)",
        _date("on", "date the National Panel's request was received (§9.4)"),
        _text("requested", "what the National Panel asked for (§9.3-9.4)"),
    ),
    _event(
        "national-panel-information-sent", "business_unit", "case", DECISIONS,
        "The partners sent the National Panel the further information it asked for (§9.3).",
        "refused unless a request is recorded: national-panel-information-requested, or "
        "national-panel-decided with further_information_requested (§9.3-9.4)",
        _date("on", "date the information was sent to the National Panel (§9.3)"),
        _text("summary", "what was shared with the National Panel (§9.3)"),
    ),
    _event(
        "national-review-scope-discussed", "partner", "case", DECISIONS,
        "The National Panel discussed a national review's scope, methodology and "
        "engagement with the partners (§9.6).",
        "refused unless the National Panel's latest answer is a national review (§9.6)",
        _date("on", "date of the discussion with the National Panel (§9.6)"),
        _text("scope", "the potential scope of the national review (§9.6)"),
        _text("methodology", "the methodology of the national review (§9.6)"),
        _text("engagement",
              "how the National Panel will engage with the partners and those involved in "
              "the case (§9.6)"),
    ),
    # --- Telling the family (§9.5, §16.1) --------------------------------------------------
    _event(
        "family-informed", "business_unit, partner, reviewer", "case", DECISIONS,
        "The family was told of a decision about the case (§9.5, §16.1).",
        "refused unless the decision told is recorded; rationale required when consent was "
        "not sought (§16.1); allowed after closure (a family is told of the closure)",
        _date("on", "date the family was told (§16.1)"),
        _enum("decision", " ".join(FAMILY_DECISIONS),
              "the decision the family was told of: threshold, learning_route, review_level, "
              "national_review (the National Panel's answer, §9.5) or case_closed"),
        _name("informed_by",
              "who told the family, by name and role: the person best placed to engage "
              "with them (§16.1)"),
        _enum("consent", "obtained refused not_sought",
              "whether the family's consent to share information between organisations was "
              "obtained, refused or not sought (§16.1)"),
        _reason("rationale",
                "why consent was not sought; required when consent is not_sought (§16.1)",
                **OPTIONAL),
        _text("notes", "notes on what the family was told and said (personal data)",
              **OPTIONAL_PERSONAL),
        required_when=(("rationale", ("consent", "not_sought")),),
    ),
    # --- The L&D sub-group's outcome below threshold (§14.6, App. 1) ---------------------
    _event(
        "learning-outcome-shared", "ld_chair", "case", DECISIONS,
        "The L&D sub-group shared the rationale and outcome of its learning route with the "
        "partners (§14.6, App. 1).",
        "refused unless a learning route was decided (§14.6, App. 1)",
        _date("on",
              "date the rationale and outcome were shared with the partners (App. 1)"),
        _names("shared_with", "the partners it was shared with, by name and role (§14.6)"),
        _text("notes", "anything added when sharing it (§14.6)", **OPTIONAL),
    ),
    # --- Supervising the reviewer (§12.5) ---------------------------------------------------
    _event(
        "reviewer-progress-requested", "partner", "review", LCSPR,
        "The partners asked the reviewer in writing for information on progress and "
        "quality (§12.5).",
        "during the review only: refused after the final report is signed off (§12.5)",
        _date("on", "date the written request was sent to the reviewer (§12.5)"),
        _text("request", "the written request, as sent to the reviewer (§12.5)"),
    ),
    _event(
        "reviewer-supervision-recorded", "partner", "review", LCSPR,
        "The partners recorded whether the reviewer's progress and the review's quality "
        "are satisfactory (§12.5).",
        "during the review only: refused after the final report is signed off (§12.5)",
        _date("on", "date of the partners' assessment (§12.5)"),
        _bool("progress_satisfactory",
              "true if the reviewer is making satisfactory progress (§12.5)"),
        _bool("quality_satisfactory", "true if the review is of satisfactory quality (§12.5)"),
        _reason("rationale", "why the partners judge so, and what follows (§12.4-12.5)"),
    ),
    # --- The media strategy (§20.1) -------------------------------------------------------
    _event(
        "media-strategy-approved", "partner", "review", LCSPR,
        "The partners approved the media strategy considered at the start of the LCSPR "
        "(§20.1).",
        "refused before the review is commissioned, or with on before its decided_on "
        "(§20.1)",
        _date("on", "date the partners approved the strategy (§20.1)"),
        _enum("considered_by", "rapid_review_panel governance_group",
              "who considered the strategy first: the Rapid Review Panel or the Governance "
              "Group (§20.1)"),
        _text("summary",
              "the strategy approved, e.g. who coordinates media and communication (§20.1)"),
    ),
    # --- The coroner (§17.4) -----------------------------------------------------------------
    _event(
        "coroner-request-received", "business_unit", "review", LCSPR,
        "H.M. Coroner asked for documents relating to the LCSPR (§17.4).",
        "allowed after closure (coroners ask late)",
        _date("on", "date the Coroner's request was received (§17.4)"),
        _text("documents", "the documents the Coroner asked for (§17.4)"),
        _name("coroner_reference", "the Coroner's own reference for the request", **OPTIONAL),
    ),
    _event(
        "coroner-request-answered", "partner", "review", LCSPR,
        "The partners answered the Coroner's request after legal advice on Public "
        "Interest Immunity (§17.4).",
        "refused unless a Coroner's request is still unanswered, and when legal_advice_on "
        "is after on; allowed after closure (§17.4)",
        _date("on", "date the answer was sent to the Coroner (§17.4)"),
        _date("legal_advice_on",
              "date of the legal advice on Public Interest Immunity, which §17.4 requires "
              "before answering"),
        _enum("outcome", "disclosed partly_disclosed withheld_public_interest_immunity",
              "what the Coroner was given: everything asked, part of it, or nothing on "
              "grounds of Public Interest Immunity (§17.4)"),
        _reason("rationale", "why the partners answered so, in the light of the legal advice "
                             "(§17.4)"),
    ),
)
