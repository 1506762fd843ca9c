"""A self-contained HTML report (inline CSS, no script, no external asset) for an auditor.

Grouped by host (every recommendation of its level with its controls, status,
reason and evidence) and by recommendation (one row per control, one column
per host), with the level's score: pass / (pass + fail).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from jinja2 import Environment

from sovcloud_infra.audit.reports.text import score_text
from sovcloud_infra.audit.results import AuditReport, ControlResult, HostAudit, ResultStatus


@dataclass
class _Row:
    control: str
    title: str
    cells: dict[str, ControlResult] = field(default_factory=dict)


@dataclass
class _Group:
    recommendation: str
    title: str
    level: str
    area: str
    secnumcloud: list[str]
    rows: list[_Row] = field(default_factory=list)


def _by_recommendation(report: AuditReport) -> list[_Group]:
    groups: dict[str, _Group] = {}
    rows: dict[str, _Row] = {}
    for host in report.hosts:
        for result in host.results:
            group = groups.setdefault(
                result.recommendation,
                _Group(
                    result.recommendation,
                    result.recommendation_title,
                    result.level,
                    result.area,
                    result.secnumcloud,
                ),
            )
            if result.control not in rows:
                rows[result.control] = _Row(result.control, result.title)
                group.rows.append(rows[result.control])
            rows[result.control].cells[host.host] = result
    return list(groups.values())


def _host_groups(host: HostAudit) -> list[tuple[str, list[ControlResult]]]:
    return [(rec, list(results)) for rec, results in groupby(host.results, key=lambda r: r.recommendation)]


def _evidence(result: ControlResult) -> str:
    return json.dumps(result.evidence, indent=2, sort_keys=True, default=str)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hardening audit of {{ report.stack }}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 2em 3em; color: #1d2330; }
h1 { margin-bottom: .2em; } h2 { border-bottom: 2px solid #d5d9e2; padding-bottom: .2em; margin-top: 2em; }
.meta { color: #59606e; }
table { border-collapse: collapse; margin: .5em 0 1em; width: 100%; }
th, td { border: 1px solid #d5d9e2; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 .5em; border-radius: .7em; font-size: 12px; font-weight: 600;
  white-space: nowrap; }
.s-pass { background: #d8f3dc; color: #1b5e20; } .s-fail { background: #ffd6d6; color: #8b0000; }
.s-waived { background: #fff3c4; color: #6d5200; } .s-not-applicable { background: #dcecff; color: #0b4a8b; }
.s-manual { background: #efe0ff; color: #5a2a8a; } .s-none { background: #eee; color: #777; }
.s-error { background: #8b0000; color: #fff; }
details > summary { cursor: pointer; }
details.rec { border: 1px solid #d5d9e2; border-radius: 4px; margin: .4em 0; padding: .2em .6em; }
pre { background: #f6f8fa; padding: .5em; overflow-x: auto; font-size: 12px; margin: .3em 0; }
.score { font-size: 20px; font-weight: 700; }
.warn { color: #6d5200; } .error { color: #8b0000; font-weight: 600; }
tr.rec-head th { background: #e3e8f1; }
</style>
</head>
<body>
<h1>Hardening audit of {{ report.stack }}</h1>
<p class="meta">ANSSI-BP-028 v2.0 and ANSSI SSH note, catalogue version {{ report.catalogue_version }};
generated {{ report.generated }} in {{ '%.1f' % report.seconds }} s;
{{ report.hosts | length }} host(s){% if report.limit %}, limited to <code>{{ report.limit }}</code>{% endif %}.
Score = pass / (pass + fail) at each host's level.</p>
<p><span class="score">{{ score(report.score) }}</span> overall &mdash;
{% for status, count in report.counts().items() %}<span class="badge s-{{ status }}">{{ count }} {{ status }}</span>
{% endfor %}&mdash; <strong>{{ verdict }}</strong></p>
{% for error in report.errors %}<pre class="error">{{ error }}</pre>{% endfor %}

<h2 id="summary">Summary</h2>
<table>
<tr><th>host</th><th>level</th><th>groups</th><th>container</th>
{% for status in statuses %}<th>{{ status }}</th>{% endfor %}<th>score</th></tr>
{% for host in report.hosts %}
<tr><td><a href="#host-{{ host.host }}">{{ host.host }}</a></td><td>{{ host.level or '-' }}</td>
<td>{{ host.host_groups | join(', ') }}</td><td>{{ host.container or 'no' }}</td>
{% if host.error %}<td colspan="{{ statuses | length + 1 }}"><span class="badge s-error">
{{ 'unreachable' if host.unreachable else 'error' }}</span> {{ host.error }}</td>
{% else %}{% for status, count in host.counts().items() %}<td class="num">{{ count }}</td>{% endfor %}
<td class="num">{{ score(host.score) }}</td>{% endif %}</tr>
{% endfor %}
</table>

<h2 id="by-host">By host</h2>
{% for host in report.hosts %}
<section id="host-{{ host.host }}">
<h3>{{ host.host }} &mdash; {{ host.level or '?' }} &mdash;
score <span class="score">{{ score(host.score) }}</span></h3>
{% if host.error %}<p class="error">{{ host.error }}</p>{% endif %}
{% for warning in host.warnings %}<p class="warn">warning: {{ warning }}</p>{% endfor %}
{% for rec, results in host_groups(host) %}
{% set first = results[0] %}
{% set failing = results | selectattr('status', 'equalto', failed) | list %}
<details class="rec"{% if failing %} open{% endif %}>
<summary><strong>{{ rec }}</strong> {{ first.recommendation_title }} ({{ first.level }}, {{ first.area }})
{% for r in results %}
<span class="badge s-{{ r.status.value }}" title="{{ r.control }}">{{ r.status.value }}</span>
{% endfor %}
</summary>
<table>
<tr><th>control</th><th>status</th><th>reason and evidence</th></tr>
{% for r in results %}
<tr><td><code>{{ r.control }}</code><br>{{ r.title }}</td>
<td><span class="badge s-{{ r.status.value }}">{{ r.status.value }}</span></td>
<td>{% if r.reason %}{{ r.reason }}{% endif %}
{% if r.summary and r.summary != r.reason %}<br><small>{{ r.summary }}</small>{% endif %}
{% if r.waiver %}<br><small>waiver: {{ r.waiver.control }} for {{ r.waiver.host_group }},
owner {{ r.waiver.owner }}, expires {{ r.waiver.expires }}</small>{% endif %}
{% if r.evidence %}<details><summary>evidence</summary><pre>{{ evidence(r) }}</pre></details>{% endif %}</td></tr>
{% endfor %}
</table>
</details>
{% endfor %}
</section>
{% endfor %}

<h2 id="by-recommendation">By recommendation</h2>
<table>
<tr><th>control</th>{% for host in report.hosts %}<th>{{ host.host }}</th>{% endfor %}</tr>
{% for group in by_recommendation %}
<tr class="rec-head"><th colspan="{{ report.hosts | length + 1 }}">{{ group.recommendation }} {{ group.title }}
&mdash; {{ group.level }}, {{ group.area }}
{% if group.secnumcloud %}; SecNumCloud {{ group.secnumcloud | join(', ') }}{% endif %}
</th></tr>
{% for row in group.rows %}
<tr><td><code>{{ row.control }}</code> {{ row.title }}</td>
{% for host in report.hosts %}{% set cell = row.cells.get(host.host) %}
<td>{% if cell %}<span class="badge s-{{ cell.status.value }}" title="{{ cell.reason or cell.summary or '' }}">
{{ cell.status.value }}</span>
{% else %}<span class="badge s-none" title="not at this host's level">-</span>{% endif %}</td>
{% endfor %}</tr>
{% endfor %}
{% endfor %}
</table>
</body>
</html>
"""


def render_html(report: AuditReport) -> str:
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    template = env.from_string(_TEMPLATE)
    context: dict[str, Any] = {
        "report": report,
        "statuses": [s.value for s in ResultStatus],
        "failed": ResultStatus.failed,
        "score": score_text,
        "verdict": {0: "compliant", 1: "incomplete (errors)", 2: "not compliant"}[report.exit_code],
        "host_groups": _host_groups,
        "by_recommendation": _by_recommendation(report),
        "evidence": _evidence,
    }
    return template.render(**context)
