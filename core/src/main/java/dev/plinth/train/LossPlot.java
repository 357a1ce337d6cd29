package dev.plinth.train;

import java.util.List;
import java.util.Locale;

/**
 * Draws train and validation loss against the step as a self-contained SVG: axes with ticks, the
 * train loss as a thin line (smoothed by a running mean when there are many steps), the
 * validation loss as a thicker line with dots.
 */
final class LossPlot {
    private static final int W = 800;
    private static final int H = 480;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private LossPlot() {
    }

    static String svg(List<TrainingLog.Row> rows, String title) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", LEFT, escape(title)));
        long maxStep = 1;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (TrainingLog.Row r : rows) {
            maxStep = Math.max(maxStep, r.step());
            for (double v : new double[] {r.trainLoss(), r.valLoss()}) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (!(lo <= hi)) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo < 1e-6) {
            hi = lo + 1;
        }
        double pad = (hi - lo) * 0.05;
        Scale s = new Scale(maxStep, lo - pad, hi + pad);
        axes(sb, s);
        sb.append(polyline(rows, s, false)).append(polyline(rows, s, true));
        for (TrainingLog.Row r : rows) {
            if (Double.isFinite(r.valLoss())) {
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"/>%n",
                        s.x(r.step()), s.y(r.valLoss())));
            }
        }
        int lx = W - RIGHT - 150;
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1f77b4\" stroke-width=\"2\"/>"
                + "<text x=\"%d\" y=\"%d\">train loss</text>%n", lx, TOP + 12, lx + 24, TOP + 12, lx + 30, TOP + 16));
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d62728\" stroke-width=\"2\"/>"
                + "<text x=\"%d\" y=\"%d\">validation loss</text>%n", lx, TOP + 30, lx + 24, TOP + 30, lx + 30, TOP + 34));
        return sb.append("</svg>\n").toString();
    }

    private record Scale(long maxStep, double lo, double hi) {
        double x(double step) {
            return LEFT + (W - LEFT - RIGHT) * step / maxStep;
        }

        double y(double loss) {
            return TOP + (H - TOP - BOTTOM) * (hi - loss) / (hi - lo);
        }
    }

    private static void axes(StringBuilder sb, Scale s) {
        int x0 = LEFT;
        int y0 = H - BOTTOM;
        sb.append(String.format(Locale.ROOT, "<path d=\"M%d %d V%d H%d\" fill=\"none\" stroke=\"black\"/>%n", x0, TOP, y0, W - RIGHT));
        double yStep = niceStep((s.hi() - s.lo()) / 6);
        for (double v = Math.ceil(s.lo() / yStep) * yStep; v <= s.hi(); v += yStep) {
            double y = s.y(v);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", x0, y, W - RIGHT, y, x0 - 6, y + 4, label(v, yStep)));
        }
        double xStep = Math.max(1, niceStep(s.maxStep() / 8.0));
        for (double v = 0; v <= s.maxStep(); v += xStep) {
            double x = s.x(v);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", x, y0, x, y0 + 5, x, y0 + 20, (long) v));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>%n", (LEFT + W - RIGHT) / 2, H - 12));
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\">loss (nats/token)</text>%n",
                (TOP + y0) / 2, (TOP + y0) / 2));
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    private static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= raw) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String label(double v, double step) {
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step)));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String polyline(List<TrainingLog.Row> rows, Scale s, boolean validation) {
        StringBuilder pts = new StringBuilder();
        int window = validation ? 1 : Math.max(1, rows.size() / 200);
        double sum = 0;
        int n = 0;
        for (int i = 0; i < rows.size(); i++) {
            TrainingLog.Row r = rows.get(i);
            double v = validation ? r.valLoss() : r.trainLoss();
            if (!Double.isFinite(v)) {
                continue;
            }
            sum += v;
            n++;
            if (n == window || i == rows.size() - 1) {
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", s.x(r.step()), s.y(sum / n)));
                sum = 0;
                n = 0;
            }
        }
        String color = validation ? "#d62728" : "#1f77b4";
        return String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"/>%n",
                pts.toString().trim(), color, validation ? "2" : "1.2");
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
