package org.convnet4j.bench;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The report's PNG: a bar chart with one group per convolution layer pass ("alexnet/conv1 fwd") and the
 * ratio of our time to cuDNN's and to PyTorch's (1 = as fast; above 1 we are slower). Passes without any
 * ratio are left out; with no ratio at all, our milliseconds are charted instead.
 */
public final class ReportChart {
    private ReportChart() {
    }

    public static void write(BenchmarkReport report, Path png) throws IOException {
        List<String> labels = new ArrayList<>();
        List<Double> vsCudnn = new ArrayList<>();
        List<Double> vsTorch = new ArrayList<>();
        List<Double> oursMs = new ArrayList<>();
        boolean anyCudnn = false;
        boolean anyTorch = false;
        for (BenchmarkReport.LayerRow r : report.layers()) {
            Double c = ratio(r.oursMs(), r.cudnnMs());
            Double t = ratio(r.oursMs(), r.torchMs());
            if (c == null && t == null && !(r.oursMs() instanceof Double)) {
                continue;
            }
            labels.add(r.name() + " " + r.pass());
            vsCudnn.add(c == null ? 0.0 : c);
            vsTorch.add(t == null ? 0.0 : t);
            oursMs.add(r.oursMs() instanceof Double d ? d : 0.0);
            anyCudnn |= c != null;
            anyTorch |= t != null;
        }
        boolean ratios = anyCudnn || anyTorch;
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(900, 40 * labels.size() + 200)).height(600)
                .title(ratios ? "convnet4j time / baseline time per convolution pass (lower is better)"
                        : "convnet4j convolution passes")
                .xAxisTitle("layer pass").yAxisTitle(ratios ? "ours / baseline" : "ms per call").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisLabelRotation(60);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        if (labels.isEmpty()) {
            labels.add("no convolution results");
            oursMs.add(0.0);
        }
        if (ratios && anyCudnn) {
            chart.addSeries("ours / cuDNN", labels, vsCudnn);
        }
        if (ratios && anyTorch) {
            chart.addSeries("ours / PyTorch", labels, vsTorch);
        }
        if (!ratios) {
            chart.addSeries("ours ms", labels, oursMs);
        }
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        String name = png.toString();
        String base = name.toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? name.substring(0, name.length() - 4) : name;
        BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
    }

    private static Double ratio(Object ours, Object other) {
        return ours instanceof Double a && other instanceof Double b && b > 0 ? a / b : null;
    }
}
