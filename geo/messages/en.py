"""The English texts of the server's messages, by id (same ids and parameters as zh.py)."""

from __future__ import annotations

# A 图斑 is "a polygon", as in the web map's English catalog (webmap/static/i18n/en.js).
EN: dict[str, str] = {
    "auth.bad_login": "Wrong user name or password",
    "auth.expired": "Your session has expired; please sign in again",
    "auth.sign_in": "Please sign in",
    "auth.bad_api_key": "The API key is not valid or has been revoked",
    "auth.ogc_sign_in": "Please sign in, or give an API key (X-API-Key header or ?api_key=)",
    "auth.too_many_attempts": "Too many failed sign-ins; try again in {seconds} s",
    "forbidden.sees_everything": (
        "This page lists every polygon; field verifiers may only see the polygons assigned to them"
    ),
    "forbidden.roles": "Needs one of these roles: {roles}",
    "forbidden.action": "{roles} may not “{action}”",
    "forbidden.not_assigned": "This polygon is not assigned to you",
    "forbidden.key_read_only": (
        "This API key reads only; submitting verifications needs an editing key "
        "(api-key create --edit)"
    ),
    "forbidden.ogc_cookie_write": (
        "Writes to /ogc need an Authorization: Bearer token or an editing API key"
    ),
    "forbidden.csrf": "Refused a request from another site: {origin} is not this site",
    "forbidden.unknown_origin": "an unknown origin",
    "request.invalid": "Invalid request: {field} {problem}",
    "request.too_large": "Request too large: {path} takes at most {limit}",
    "request.internal": "Internal server error",
    "case.not_found": "No polygon {case_id}",
    "case.version_conflict": "Someone else changed this polygon; refresh and submit again",
    "case.unknown_action": "Unknown action: {action}",
    "case.actor_required": "Who acts must be given",
    "case.not_allowed": "The polygon is “{state}”: it cannot be “{action}”",
    "case.guard.file_not_illegal": "Only a polygon verified as “illegal” can be filed",
    "case.guard.close_illegal": (
        "An illegal polygon must be filed, penalised and rectified before closing"
    ),
    "case.guard.needs_reviewer_note": (
        "This polygon was returned {returns} times; a reviewer must add a note before it is "
        "submitted again"
    ),
    "case.guard.too_few_photos": "{count} evidence photos; at least {minimum} are needed",
    "case.guard.reopen_not_illegal": "Only an illegal polygon can be reopened",
    "case.guard.close_unreported": "A patrol case closes only once reported to the city/province",
    "case.guard.already_reported": (
        "Already reported (document {doc_no}); it cannot be reported twice"
    ),
    "case.guard.not_watched": "This site is not on the watch list, so it cannot be re-inspected",
    "case.guard.watch_not_illegal": "Only an illegal site can be put under watch",
    # Patrol findings (422)
    "patrol.deadline_unknown": "Unknown deadline setting: {names}",
    "patrol.deadline_bool": "Deadline setting {name} must be true or false",
    "patrol.deadline_range": "Deadline setting {name} must be a whole number from {low} to {high}",
    "patrol.source_choices": "The source must be one of: {choices}",
    "patrol.violation_choices": "The violation type must be one of: {choices}",
    "patrol.found_in_future": "The time found cannot be later than the time recorded",
    "patrol.geometry_expected": (
        "The place must be a point (GPS fix) or a polygon (drawn outline) in CGCS2000 lon/lat"
        " within China"
    ),
    "patrol.served_after_recorded": "The order cannot be served after the time it is recorded",
    "patrol.served_before_found": "The order cannot be served before the violation was found",
    "payload.not_object": "The content of “{action}” must be an object of keys and values",
    "payload.missing": "“{action}” needs {field}",
    "payload.field": "{field}: {problem}",
    "payload.reason_choices": "The reason for “{judgment}” must be one of: {choices}",
    "payload.no_enforcement": "This polygon has no enforcement case filed",
    "payload.fine_mismatch": (
        "Case {case_no} already records a fine of {recorded:,.2f} yuan, not {given}"
    ),
    "payload.date_order": "Dates out of order: {field} {on} is before {earlier} {earlier_on}",
    "payload.payment_positive": "amount_yuan: the amount paid must be more than 0",
    "date.issued_on": "the issue date",
    "date.filed_on": "the filing date",
    "date.decided_on": "the penalty decision date",
    "date.paid_on": "the payment date",
    "date.rectified_on": "the rectification date",
    "value.text_expected": "expected text, got {got}",
    "value.empty": "must not be empty",
    "value.money_expected": "expected an amount of money, got {got}",
    "value.money_negative": "the amount must not be negative",
    "value.money_too_large": "the amount is too large: at most {maximum:,} yuan",
    "value.money_fen": "the amount {got} needs no more than two decimals (fen)",
    "value.instant_expected": (
        "expected a moment as ISO 8601 (e.g. 2019-06-03T09:30+08:00), got {got}"
    ),
    "value.date_expected": "expected a real date as YYYY-MM-DD, got {got}",
    "value.date_too_early": "the date {day} is before {earliest}",
    "value.date_future": (
        "the date {day} is after today ({today}): what happened cannot be in the future"
    ),
    "value.int_expected": "expected a whole number, got {got}",
    "value.int_range": "must be between {lo} and {hi}",
    "value.area_expected": "expected an area in square metres, got {got}",
    "value.area_range": "the area must be between 0 and {maximum:.0f} m²",
    "value.flag_expected": "expected yes/no: {got}",
    "value.judgment_expected": "the judgment must be legal/illegal/other, got {got}",
    "value.polygon_expected": "expected a GeoJSON polygon (Polygon/MultiPolygon)",
    "value.land_class_expected": "not a valid land class code (Third Land Survey): {got}",
    "photo.empty": "The file is empty",
    "photo.too_large": "The file is larger than {megabytes} MB",
    "photo.heic": (
        "HEIC is not supported: set the camera to “Most Compatible” (JPEG) and take the photo again"
    ),
    "photo.bomb": "Too many pixels: the file may be malicious",
    "photo.not_image": "The file is not a JPEG/PNG image",
    "photo.too_many_pixels": "Too many pixels ({pixels}, at most {maximum})",
    "photo.truncated": "The image file is incomplete or damaged",
    "import.not_issued": (
        "“{programme}” cases come from patrol findings and reports; they cannot be imported as"
        " an issued batch"
    ),
    "import.missing_file": "The file does not exist",
    "import.missing_field": "The required field {field} is missing",
    "import.no_crs": "The file has no coordinate reference system (no .prj or CRS definition)",
    "import.no_crs_guess": (
        "The file has no coordinate reference system, and none can be guessed from its coordinates"
    ),
    "import.bad_crs": "The coordinate reference system {crs} is not recognised: {problem}",
    "import.unknown_encoding": "Unknown encoding {encoding}; the usual ones are UTF-8 and GBK",
    "import.unreadable_layer": "The layer cannot be read: {problem}",
    "import.unreadable_table": "The table cannot be read: {problem}",
    "import.no_layer": "The file has no layer {layer}",
    "import.many_layers": "The file has several layers: say which one to import",
    "import.zip_empty": (
        "The zip holds no readable layer file (.shp, .gpkg, .gdb, .geojson, .kml, .csv, .xlsx, …)"
    ),
    "import.zip_many_layers": "The zip holds {count} layer files: {names}; say which one to import",
    "import.zip_same_layer": (
        "Several files in the zip have the layer name {layer} ({names}); pack only one of them"
    ),
    "import.zip_no_layer": "The zip has no layer {layer}; its layer files: {names}",
    "import.shapefile_incomplete": (
        "The Shapefile is incomplete: {parts} missing; give the .shp, .shx and .dbf (and .prj, "
        ".cpg) of the same name together (packed as one .zip when uploading on the web)"
    ),
    "import.shapefile_shx": "{name}.shx index",
    "import.shapefile_dbf": (
        "{name}.dbf attribute table (the polygon code and other fields are in it)"
    ),
    "indicator.farmland_line": (
        "Illegally occupied farmland {pct:.1f}%: at the {line:.0f}% accountability line"
    ),
    "indicator.farmland_near": (
        "Illegally occupied farmland {pct:.1f}%: close to the {line:.0f}% accountability line"
    ),
    "import.duplicate_batch": (
        "A different file of the same name was already imported for {period} {programme}"
    ),
    # 动态巡查 – patrol-api
    "patrol.client_ref": "client_ref must be 1 to 64 letters, digits, underscores or hyphens",
    "patrol.no_open_case": (
        "No open illegal case at this polygon's site, so it cannot be “already handled (joins an"
        " open case)”; verify it by what was found"
    ),
    "patrol.no_report": "Case {case_id} was not recorded from a report: it has no report details",
    "patrol.client_ref_taken": "This client_ref is already taken by another record; use another",
}
