"""Rendering everything in the Prometheus text format (version 0.0.4)."""

from __future__ import annotations

from workbench.metrics.gauges import collect_gauges
from workbench.metrics.registry import BUCKETS, COUNTERS, HISTOGRAMS, read_counters, read_histograms


def _labels(text: str, extra: str = "") -> str:
    inner = ",".join(part for part in (text, extra) if part)
    return "{" + inner + "}" if inner else ""


def render(session, redis) -> str:
    lines: list[str] = []
    for name, samples in read_counters(redis).items():
        lines += [f"# HELP {name} {COUNTERS[name].help}", f"# TYPE {name} counter"]
        lines += [f"{name}{_labels(key)} {value:g}" for key, value in sorted(samples.items())]
    for name, fields in read_histograms(redis).items():
        lines += [f"# HELP {name} {HISTOGRAMS[name].help}", f"# TYPE {name} histogram"]
        series = sorted({field.rsplit("|", 1)[0] for field in fields})
        for key in series:
            for bound in [*map(str, BUCKETS), "+Inf"]:
                le = 'le="' + bound + '"'
                lines.append(f"{name}_bucket{_labels(key, le)} {fields.get(key + '|' + bound, 0):g}")
            lines.append(f"{name}_sum{_labels(key)} {fields.get(f'{key}|sum', 0):g}")
            lines.append(f"{name}_count{_labels(key)} {fields.get(f'{key}|+Inf', 0):g}")
    for gauge in collect_gauges(session, redis):
        lines += [f"# HELP {gauge.name} {gauge.help}", f"# TYPE {gauge.name} gauge"]
        lines += [f"{gauge.name}{_labels(key)} {value:g}" for key, value in gauge.samples]
    return "\n".join(lines) + "\n"
