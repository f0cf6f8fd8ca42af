"""GET /: the workshop's home page on the inventory server, in French (not a JSON 404).

It names the workshop and points to what a visitor can do: check a certificate from the
number printed on it (public), the supervisors' daily log, and the API documentation.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from station.inventory.routes_verification_page import page
from station.reports.workshop import find_workshop

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home() -> HTMLResponse:
    workshop = find_workshop()
    name = workshop.name if workshop else "Inventaire de l'atelier"
    body = (
        "<h2>Vérifier un certificat d'effacement</h2>"
        "<p>Scannez le QR code du certificat, ou tapez le numéro imprimé sous son titre "
        "(16 caractères, par exemple 5e328af5e0ceede0).</p>"
        '<form method="get" action="/verification"><label>Numéro du certificat '
        '<input name="n" minlength="16" maxlength="64" required autocomplete="off"></label> '
        "<button>Vérifier</button></form>"
        "<h2>Pour l'atelier</h2><ul>"
        '<li><a href="/daily">Journal du jour des postes</a> (encadrants)</li>'
        '<li><a href="/docs">Documentation de l\'API</a> (postes et intégrations)</li>'
        "</ul>"
    )
    return page(name, body, workshop)
