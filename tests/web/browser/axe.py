"""axe-core, run inside the page as served: no serious or critical violation allowed.

axe-core comes from npm, pinned (tests/web/browser/tools.py says where; the browser
fixture checks it is there). The app's Content-Security-Policy allows no inline script,
and Playwright's add_script_tag(path=...) injects the file as inline content, which that
policy refuses. So the file's text is evaluated through the DevTools protocol
(page.evaluate), which a page's CSP does not govern: the page keeps its real policy while
axe runs, rather than a context opened with bypass_csp=True that would hide a CSP refusal
from the tests.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tests.web.browser.tools import AXE_JS

BLOCKING = ("serious", "critical")


@lru_cache(maxsize=1)
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def check(page: Any, label: str) -> list[dict[str, Any]]:
    """Run axe on the page; fail listing every serious or critical violation. Returns all
    violations (the minor and moderate ones too) for a test that wants to look."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # The trailing expression keeps evaluate from treating the file as a function.
        page.evaluate(_source() + "\n;true")
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {label}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'])}" for v in blocking)
    return violations
