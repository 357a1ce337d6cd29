package dev.plinth.product.audit;

import dev.plinth.eval.Estimate;
import dev.plinth.eval.Task;
import dev.plinth.eval.TaskResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An audit as one self-contained HTML page (no scripts, no external files): the lineage tree, each
 * metric per node as a bar chart with ±1 standard error whiskers, each node's change against its
 * parent (±2 standard errors shaded), the failures marked inherited, introduced or fixed, and the
 * probes. Charts are inline SVG.
 */
public final class HtmlReport {

    private static final String BETTER = "#2e7d32";
    private static final String WORSE = "#c62828";
    private static final String SAME = "#78909c";
    private static final String ROOT = "#455a64";
    private static final int LABEL = 220;
    private static final int PLOT = 420;
    private static final int ROW = 24;

    private HtmlReport() {
    }

    public static String render(AuditReport report) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Audit of ")
                .append(esc(report.tree().root().label())).append("</title>\n<style>\n").append(STYLE).append("</style></head>\n<body>\n");
        h.append("<h1>Audit of <code>").append(esc(report.tree().root().label())).append("</code></h1>\n");
        h.append("<p class=\"meta\">").append(report.nodes().size()).append(" nodes · ").append(report.tasks().size())
                .append(" tasks · ").append(esc(report.created().toString())).append("</p>\n");
        tasksTable(h, report);
        h.append("<h2>Lineage</h2>\n").append(tree(report));
        h.append("<h2>Failures</h2>\n<p class=\"note\">Failing items of each node, against its parent: <b>inherited</b> "
                + "(fails in the parent too), <b>introduced</b> (passes in the parent, fails here), <b>fixed</b> (fails in "
                + "the parent, passes here).</p>\n");
        failuresTable(h, report);
        probesTable(h, report);
        h.append("<h2>Metrics per node</h2>\n<p class=\"note\">Bars: the value on each node (±1 standard error); "
                + "colour against the parent: <span style=\"color:" + BETTER + "\">better</span>, <span style=\"color:"
                + WORSE + "\">worse</span> (beyond 2 standard errors of the difference), <span style=\"color:" + SAME
                + "\">no clear change</span>.</p>\n");
        for (Task task : report.tasks()) {
            for (String metric : metrics(report, task)) {
                h.append("<figure>").append(bars(report, task.name(), metric)).append("<figcaption>").append(esc(task.name()))
                        .append(" · ").append(esc(metric)).append(TaskResult.higherIsBetter(metric) ? " (higher is better)" : " (lower is better)")
                        .append("</figcaption></figure>\n");
            }
        }
        if (report.nodes().size() > 1) {
            h.append("<h2>Change against the parent</h2>\n<p class=\"note\">Each node's value minus its parent's; the grey "
                    + "band is ±2 standard errors of the difference.</p>\n");
            for (Task task : report.tasks()) {
                for (String metric : metrics(report, task)) {
                    h.append("<figure>").append(deltas(report, task.name(), metric)).append("<figcaption>").append(esc(task.name()))
                            .append(" · Δ ").append(esc(metric)).append("</figcaption></figure>\n");
                }
            }
        }
        nodesTable(h, report);
        h.append("</body></html>\n");
        return h.toString();
    }

    private static List<String> metrics(AuditReport report, Task task) {
        for (AuditReport.NodeResults n : report.nodes()) {
            TaskResult r = n.results().get(task.name());
            if (r != null) {
                return r.metricNames();
            }
        }
        return List.of();
    }

    private static void tasksTable(StringBuilder h, AuditReport report) {
        h.append("<table><tr><th>task</th><th>kind</th><th>items</th><th>digest</th></tr>\n");
        for (Task t : report.tasks()) {
            TaskResult first = report.nodes().getFirst().results().get(t.name());
            h.append("<tr><td>").append(esc(t.name())).append("</td><td>").append(esc(t.definition().kind().label()))
                    .append("</td><td class=\"n\">").append(first == null ? "" : first.size()).append("</td><td><code>")
                    .append(esc(t.digest().substring(0, Math.min(19, t.digest().length())))).append("</code></td></tr>\n");
        }
        h.append("</table>\n");
    }

    /** The tree: one box per node, indented by depth, joined to its parent by an elbow. */
    private static String tree(AuditReport report) {
        List<AuditReport.NodeResults> nodes = preorder(report);
        int width = 40 + nodes.stream().mapToInt(n -> n.node().depth()).max().orElse(0) * 40 + 420;
        int height = nodes.size() * 40 + 10;
        StringBuilder s = svg(width, height);
        Map<AuditTree.Node, int[]> at = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            AuditTree.Node n = nodes.get(i).node();
            int x = 10 + n.depth() * 40;
            int y = 8 + i * 40;
            at.put(n, new int[] {x, y});
            if (n.parent() != null) {
                int[] p = at.get(n.parent());
                s.append(String.format(Locale.ROOT, "<path d=\"M%d %d V%d H%d\" class=\"edge\"/>", p[0] + 14, p[1] + 28, y + 14, x));
            }
            String digest = n.product() != null ? n.product().lineageDigest().shortHex() : "file";
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"380\" height=\"28\" rx=\"4\" class=\"box\"/>", x, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"label\">%s</text>", x + 8, y + 18, esc(n.label())));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"digest\" text-anchor=\"end\">%s</text>",
                    x + 372, y + 18, esc(digest)));
        }
        return s.append("</svg>\n").toString();
    }

    private static List<AuditReport.NodeResults> preorder(AuditReport report) {
        Map<AuditTree.Node, AuditReport.NodeResults> by = new LinkedHashMap<>();
        report.nodes().forEach(n -> by.put(n.node(), n));
        List<AuditReport.NodeResults> out = new ArrayList<>();
        walk(report.tree().root(), by, out);
        return out;
    }

    private static void walk(AuditTree.Node n, Map<AuditTree.Node, AuditReport.NodeResults> by, List<AuditReport.NodeResults> out) {
        if (by.containsKey(n)) {
            out.add(by.get(n));
        }
        n.children().forEach(c -> walk(c, by, out));
    }

    /** One bar per node (its value, ±1 standard error), coloured by its change against the parent. */
    private static String bars(AuditReport report, String task, String metric) {
        List<AuditReport.NodeResults> nodes = preorder(report);
        double lo = 0;
        double hi = 0;
        boolean share = isShare(metric);
        for (AuditReport.NodeResults n : nodes) {
            Estimate e = estimate(n, task, metric);
            if (e != null && Double.isFinite(e.value())) {
                double se = Double.isFinite(e.stderr()) ? e.stderr() : 0;
                lo = Math.min(lo, e.value() - se);
                hi = Math.max(hi, e.value() + se);
                share &= e.value() >= 0 && e.value() <= 1;
            }
        }
        if (share) { // a share: always 0 to 1, whiskers clipped to it
            lo = 0;
            hi = 1;
        }
        if (hi == lo) {
            hi = lo + 1;
        }
        final double from = lo;
        final double to = hi;
        StringBuilder s = svg(LABEL + PLOT + 90, nodes.size() * ROW + 26);
        double zero = x(0, lo, hi);
        axis(s, lo, hi, nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            AuditReport.NodeResults n = nodes.get(i);
            int y = 4 + i * ROW;
            rowLabel(s, n, y);
            Estimate e = estimate(n, task, metric);
            if (e == null || !Double.isFinite(e.value())) {
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"value\">-</text>", LABEL + 4, y + 15));
                continue;
            }
            double v = x(e.value(), lo, hi);
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
                    Math.min(v, zero), y + 3, Math.max(1, Math.abs(v - zero)), ROW - 8, colour(report, n, task, metric)));
            if (Double.isFinite(e.stderr()) && e.stderr() > 0) {
                double a = x(Math.max(from, e.value() - e.stderr()), lo, hi);
                double b = x(Math.min(to, e.value() + e.stderr()), lo, hi);
                int mid = y + ROW / 2;
                s.append(String.format(Locale.ROOT, "<path d=\"M%.1f %d H%.1f M%.1f %d V%d M%.1f %d V%d\" class=\"err\"/>",
                        a, mid, b, a, mid - 4, mid + 4, b, mid - 4, mid + 4));
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"value\">%s</text>", LABEL + PLOT + 8, y + 15,
                    esc(format(e.value()))));
        }
        return s.append("</svg>").toString();
    }

    /** One bar per child node: its value minus its parent's, on a band of ±2 standard errors. */
    private static String deltas(AuditReport report, String task, String metric) {
        List<AuditReport.NodeResults> nodes = preorder(report).stream().filter(n -> n.node().parent() != null).toList();
        List<AuditReport.Change> changes = new ArrayList<>();
        double span = 0;
        for (AuditReport.NodeResults n : nodes) {
            AuditReport.Change c = report.changes(n).stream().filter(x -> x.task().equals(task) && x.metric().equals(metric))
                    .findFirst().orElse(null);
            changes.add(c);
            if (c != null && Double.isFinite(c.delta())) {
                span = Math.max(span, Math.abs(c.delta()) + (Double.isFinite(c.stderr()) ? 2 * c.stderr() : 0));
            }
        }
        if (span == 0) {
            span = 1;
        }
        double lo = -span;
        double hi = span;
        StringBuilder s = svg(LABEL + PLOT + 90, nodes.size() * ROW + 26);
        axis(s, lo, hi, nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            int y = 4 + i * ROW;
            rowLabel(s, nodes.get(i), y);
            AuditReport.Change c = changes.get(i);
            if (c == null || !Double.isFinite(c.delta())) {
                continue;
            }
            if (Double.isFinite(c.stderr())) {
                double a = x(-2 * c.stderr(), lo, hi);
                double b = x(2 * c.stderr(), lo, hi);
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"band\"/>",
                        a, y + 1, b - a, ROW - 4));
            }
            double zero = x(0, lo, hi);
            double v = x(c.delta(), lo, hi);
            String fill = switch (c.verdict()) {
                case BETTER -> BETTER;
                case WORSE -> WORSE;
                case SAME -> SAME;
            };
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
                    Math.min(v, zero), y + 6, Math.max(1, Math.abs(v - zero)), ROW - 14, fill));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"value\">%s%s</text>", LABEL + PLOT + 8, y + 15,
                    c.delta() >= 0 ? "+" : "", esc(format(c.delta()))));
        }
        return s.append("</svg>").toString();
    }

    private static void axis(StringBuilder s, double lo, double hi, int rows) {
        int bottom = 4 + rows * ROW;
        s.append(String.format(Locale.ROOT, "<path d=\"M%d %d H%d\" class=\"axis\"/>", LABEL, bottom, LABEL + PLOT));
        for (int k = 0; k <= 4; k++) {
            double v = lo + (hi - lo) * k / 4;
            double x = x(v, lo, hi);
            s.append(String.format(Locale.ROOT, "<path d=\"M%.1f 2 V%d\" class=\"grid\"/>", x, bottom));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>",
                    x, bottom + 14, esc(format(v))));
        }
        if (lo < 0 && hi > 0) {
            s.append(String.format(Locale.ROOT, "<path d=\"M%.1f 2 V%d\" class=\"zero\"/>", x(0, lo, hi), bottom));
        }
    }

    /** The node's label, indented by its depth, a branch mark before a child's. */
    private static void rowLabel(StringBuilder s, AuditReport.NodeResults n, int y) {
        int depth = n.node().depth();
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"label\">%s%s</text>",
                4 + 12 * Math.max(0, depth - 1), y + 15, depth == 0 ? "" : "└ ", esc(cut(n.node().label(), 28 - 2 * depth))));
    }

    private static String colour(AuditReport report, AuditReport.NodeResults n, String task, String metric) {
        if (n.node().parent() == null) {
            return ROOT;
        }
        return report.changes(n).stream().filter(c -> c.task().equals(task) && c.metric().equals(metric)).findFirst()
                .map(c -> switch (c.verdict()) {
                    case BETTER -> BETTER;
                    case WORSE -> WORSE;
                    case SAME -> SAME;
                }).orElse(SAME);
    }

    private static Estimate estimate(AuditReport.NodeResults n, String task, String metric) {
        TaskResult r = n.results().get(task);
        return r == null ? null : r.metrics().get(metric);
    }

    private static boolean isShare(String metric) {
        return metric.startsWith("acc") || metric.equals("pct_stereotype") || metric.equals("pass_rate") || metric.equals("mc2");
    }

    private static double x(double v, double lo, double hi) {
        return LABEL + (v - lo) / (hi - lo) * PLOT;
    }

    private static void failuresTable(StringBuilder h, AuditReport report) {
        h.append("<table><tr><th>node</th><th>task</th><th>failing</th><th>inherited</th><th>introduced</th><th>fixed</th></tr>\n");
        for (AuditReport.NodeResults n : preorder(report)) {
            boolean root = n.node().parent() == null;
            for (AuditReport.Failures f : report.failures(n)) {
                if (f.failing() == 0 && f.fixed().isEmpty()) {
                    continue;
                }
                h.append("<tr><td>").append(esc(n.node().label())).append("</td><td>").append(esc(f.task()))
                        .append("</td><td class=\"n\">").append(f.failing()).append("</td>");
                if (root) {
                    h.append("<td colspan=\"3\" class=\"note\">the root: no parent to compare with</td>");
                } else {
                    h.append("<td class=\"n\">").append(f.inherited().size()).append("</td><td class=\"n")
                            .append(f.introduced().isEmpty() ? "" : " introduced").append("\">").append(f.introduced().size())
                            .append("</td><td class=\"n").append(f.fixed().isEmpty() ? "" : " fixed").append("\">")
                            .append(f.fixed().size()).append("</td>");
                }
                h.append("</tr>\n");
            }
        }
        h.append("</table>\n");
    }

    private static void probesTable(StringBuilder h, AuditReport report) {
        List<String> rows = new ArrayList<>();
        for (AuditReport.NodeResults n : preorder(report)) {
            for (AuditReport.ProbeStatus p : report.probes(n)) {
                rows.add("<tr><td>" + esc(n.node().label()) + "</td><td>" + esc(p.name()) + "</td><td>" + esc(p.check())
                        + "</td><td><span class=\"badge " + p.status() + "\">" + p.status() + "</span></td><td class=\"out\">"
                        + esc(cut(p.output() == null ? "" : p.output().strip(), 90)) + "</td></tr>\n");
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        h.append("<h2>Probes</h2>\n<table><tr><th>node</th><th>probe</th><th>check</th><th>status</th><th>greedy continuation</th></tr>\n");
        rows.forEach(h::append);
        h.append("</table>\n");
    }

    private static void nodesTable(StringBuilder h, AuditReport report) {
        h.append("<h2>Nodes</h2>\n<table><tr><th>node</th><th>parent</th><th>lineage digest</th><th>evaluated as</th><th>results</th></tr>\n");
        for (AuditReport.NodeResults n : preorder(report)) {
            long cached = n.cached().values().stream().filter(b -> b).count();
            h.append("<tr><td>").append(esc(n.node().label())).append("</td><td>")
                    .append(n.node().parent() == null ? "" : esc(n.node().parent().label())).append("</td><td><code>")
                    .append(n.node().product() == null ? "file" : esc(n.node().product().lineageDigest().shortHex()))
                    .append("</code></td><td><code>").append(esc(n.model().shortHex())).append("</code></td><td>")
                    .append(cached).append(" cached, ").append(n.cached().size() - cached).append(" evaluated</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static StringBuilder svg(int width, int height) {
        return new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">", width, height, width, height));
    }

    static String format(double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        if (Math.abs(v) < 5e-4) {
            v = 0; // not "-0.000"
        }
        double a = Math.abs(v);
        return a >= 1000 ? String.format(Locale.ROOT, "%.0f", v) : a >= 10 ? String.format(Locale.ROOT, "%.1f", v)
                : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static final String STYLE = """
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #263238; margin: 24px 32px; max-width: 1100px; }
            h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #cfd8dc; }
            code { font: 12px ui-monospace, monospace; background: #eceff1; padding: 1px 4px; border-radius: 3px; }
            .meta, .note { color: #607d8b; } table { border-collapse: collapse; margin: 6px 0 12px; }
            th, td { border-bottom: 1px solid #eceff1; padding: 3px 10px; text-align: left; } th { background: #f5f7f8; }
            td.n { text-align: right; font-variant-numeric: tabular-nums; } td.introduced { color: #c62828; font-weight: 600; }
            td.fixed { color: #2e7d32; font-weight: 600; } td.out { font: 12px ui-monospace, monospace; color: #455a64; }
            figure { margin: 6px 0 14px; } figcaption { color: #455a64; font-size: 13px; margin-left: 220px; }
            .badge { padding: 1px 7px; border-radius: 9px; font-size: 12px; color: #fff; background: #78909c; }
            .badge.inherited { background: #ef6c00; } .badge.introduced { background: #c62828; } .badge.fixed { background: #2e7d32; }
            .badge.fails { background: #6d4c41; } .badge.passes { background: #90a4ae; }
            svg text { font: 12px system-ui, sans-serif; fill: #263238; } svg .digest { font: 11px ui-monospace, monospace; fill: #78909c; }
            svg .value, svg .tick { fill: #455a64; font-size: 11px; } svg .box { fill: #f5f7f8; stroke: #90a4ae; }
            svg .edge { fill: none; stroke: #90a4ae; stroke-width: 1.5; } svg .axis { stroke: #90a4ae; }
            svg .grid { stroke: #eceff1; } svg .zero { stroke: #546e7a; } svg .err { stroke: #263238; stroke-width: 1.2; fill: none; }
            svg .band { fill: #eceff1; }
            """;
}
