"""The application factory: ``create_app(home, clock=..., config=...)`` (issue 12).

One application serves one home. It opens the ledger once per server thread, on first use,
and every blueprint reaches it through web.context; every write goes through
service.writer.Writer.
Pages extend templates/base.html (the GOV.UK page template without GOV.UK's branding:
the partnership's name in the header, the system font).
"""

from __future__ import annotations

import importlib
import importlib.util
import mimetypes
from datetime import datetime
from typing import Any, Callable, Mapping

from flask import Flask, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import HTTPException

from service.home import Home
from web import context, security

DEFAULTS: dict[str, Any] = {
    # Secure cookies: only off for a local test server over plain http (--insecure-cookies).
    "SECURE_COOKIES": True,
    "IDLE_TIMEOUT_MINUTES": 30,
    # Failed sign-ins allowed before a lock, the first lock, and its ceiling (web.lockout).
    "LOCKOUT_FREE_TRIES": 3,
    "LOCKOUT_BASE_SECONDS": 30,
    "LOCKOUT_MAX_SECONDS": 3600,
    "WTF_CSRF_ENABLED": True,
    # Forms are small; anything bigger is refused before it is read.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
}

# The areas of issue 12, one blueprint each; a module not written yet is simply absent.
BLUEPRINTS = ("web.auth", "web.today", "web.cases", "web.record", "web.cosign",
              "web.scrutineer", "web.admin", "web.account", "web.personal")

# The header's menu: each area's first page, shown once its blueprint is there. The
# other areas name their endpoint here (one line each) when they add a page to the menu.
# The menu: (endpoint, text, the roles that may open it; empty: anyone signed in). The
# roles repeat the pages' own `requires`, so nobody is offered a page that answers 403.
NAV = (("today.today", "Today", ()), ("cases.case_list", "Cases", ()),
       ("record.choose", "Record", ()), ("cosign.waiting", "Co-sign", ()),
       ("scrutineer.index", "Scrutineer", ("scrutineer", "admin")),
       ("admin.index", "Admin", ("admin",)), ("account.account", "Your account", ()))

ERROR_TEXT = {
    400: ("There is a problem with the request", "Go back and try again."),
    403: ("You do not have access to this page", "Your roles do not include this page."),
    404: ("Page not found", "Check the address, or go back to Today."),
    405: ("There is a problem with the request", "Go back and try again."),
    413: ("What was sent is too large", "Go back and try again."),
    500: ("Sorry, there is a problem with the service", "Nothing was recorded. "
          "Try again later."),
}


def create_app(home: Home, *, clock: Callable[[], datetime] | None = None,
               config: Mapping[str, Any] | None = None) -> Flask:
    # A browser runs a module script only when served as JavaScript; not every system's
    # mime.types knows .mjs.
    mimetypes.add_type("text/javascript", ".mjs")
    app = Flask("web", static_folder="static", static_url_path="/static")
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.service_key(home.keys, security.SESSION_KEY_FILE)
    security.configure_cookies(app, bool(app.config["SECURE_COOKIES"]))
    app.extensions[context.EXTENSION] = context.WebState(home, clock or context.utcnow)

    app.jinja_loader = ChoiceLoader([
        PackageLoader("web"),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                      "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf")}),
    ])
    WTFormsHelpers(app)
    CSRFProtect(app)
    app.after_request(security.add_headers)

    @app.context_processor
    def page_globals() -> dict[str, Any]:
        from web.session_actor import current_actor

        who = current_actor()
        nav = [{"href": url_for(endpoint), "text": text,
                "active": request.endpoint == endpoint}
               for endpoint, text, roles in NAV if who and endpoint in app.view_functions
               and (not roles or set(roles) & set(who.roles))]
        return {"partnership": context.state().partnership(), "signed_in": who,
                "nav": nav}

    for name in BLUEPRINTS:
        if importlib.util.find_spec(name) is not None:
            app.register_blueprint(importlib.import_module(name).bp)

    @app.get("/")
    def index() -> Any:
        return redirect(url_for("today.today"))

    _error_pages(app)
    return app


def _error_pages(app: Flask) -> None:
    """Every error as a plain page (or JSON) naming what went wrong in general terms:
    never a traceback, never what was typed or asked for."""

    def page(code: int) -> Any:
        title, advice = ERROR_TEXT.get(code, ERROR_TEXT[400])
        if context.wants_json():
            return {"error": title}, code
        try:
            return render_template("error.html", title=title, advice=advice), code
        except Exception:  # the ledger itself may be what failed: still no traceback
            return f"<!DOCTYPE html><title>{title}</title><h1>{title}</h1>", code

    @app.errorhandler(CSRFError)
    def csrf_refused(e: CSRFError) -> Any:
        return page(400)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        return page(e.code or 500)

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> Any:
        app.logger.error("unhandled %s on %s", type(e).__name__, _endpoint())
        return page(500)


def _endpoint() -> str:
    from flask import request

    return request.endpoint or "unknown endpoint"  # never the URL: it may carry input
