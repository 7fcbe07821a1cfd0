// Starts GOV.UK Frontend's components: loaded as a module file, so the
// Content-Security-Policy allows no inline script at all (web/security.py).
import { initAll } from './govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
