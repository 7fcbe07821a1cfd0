"""`cspr serve`: the web service over the same service layer as the CLI (issue 12).

A Flask application (web.app.create_app) with one blueprint per area. Every write goes
through service.writer.Writer, signed by the person's own key opened with the passphrase
they type for that request (web.signing); there is no second path to the ledger.
"""
