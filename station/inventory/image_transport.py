"""How a machine's image reached its disk, in a few words for the back office (issue 21:
the lot shows how each machine was imaged). Read from the `transport` of its signed
`image_deploy` record; a record without one (written before benches said it) gets no
words rather than a guess."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from station.inventory.i18n import _


def transport_kind(deploy: Mapping[str, Any] | None) -> str | None:
    """The short name of the way in, for a table cell: multicast, HTTP or local."""
    kind = ((deploy or {}).get("transport") or {}).get("kind")
    return (
        {
            "multicast": _("multicast"),
            "http_stream": _("HTTP"),
            "local": _("clé ou dossier local"),
        }.get(str(kind))
        if kind
        else None
    )


def transport_text(deploy: Mapping[str, Any] | None) -> str | None:
    """One sentence: where the image came from, the frames checked against its signed
    frame list, and what came again over HTTP (a missed stream, resumed downloads)."""
    transport = (deploy or {}).get("transport")
    if not transport:
        return None
    kind = transport.get("kind")
    if kind == "multicast":
        head = _("flux multicast de la salle (%(source)s)")
    elif kind == "http_stream":
        head = _("téléchargement HTTP (%(source)s)")
    else:
        head = _("clé ou dossier local (%(source)s)")
    parts = [head % {"source": transport.get("source") or "?"}]
    parts.append(
        _("%(verified)d blocs sur %(total)d vérifiés")
        % {
            "verified": int(transport.get("frames_verified") or 0),
            "total": int(transport.get("frames_total") or 0),
        }
    )
    ranges = len(transport.get("fallback_ranges") or [])
    if kind == "multicast":
        parts.append(
            _("%(count)d plage(s) reprise(s) par HTTP") % {"count": ranges}
            if ranges
            else _("tout par le flux")
        )
    resumed = int(transport.get("http_resumed") or 0)
    if resumed:
        parts.append(_("%(count)d reprise(s) après une coupure") % {"count": resumed})
    return " ; ".join(parts)
