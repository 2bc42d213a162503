package org.convnet4j.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * curves.png: two XChart panels side by side, training loss per epoch and train/test accuracy per epoch.
 * Rendered off screen (works with java.awt.headless=true).
 */
public final class TrainingPlot {
    private TrainingPlot() {
    }

    /**
     * The plot of history as PNG bytes. Drawing needs a font: a runtime without the native font libraries
     * throws a LinkageError, an AWTError or a RuntimeException here. history must not be empty.
     */
    public static byte[] png(String title, List<EpochMetrics> history) {
        if (history.isEmpty()) {
            throw new IllegalArgumentException("no epochs to plot");
        }
        double[] epochs = history.stream().mapToDouble(EpochMetrics::epoch).toArray();
        double[] loss = history.stream().mapToDouble(EpochMetrics::trainLoss).toArray();
        double[] trainAcc = history.stream().mapToDouble(m -> 100 * m.trainAccuracy()).toArray();
        double[] testAcc = history.stream().mapToDouble(m -> 100 * m.testAccuracy()).toArray();

        XYChart lossChart = new XYChartBuilder().width(560).height(400).title(title + ": training loss")
                .xAxisTitle("epoch").yAxisTitle("mean cross-entropy").build();
        lossChart.getStyler().setLegendVisible(false);
        lossChart.getStyler().setYAxisDecimalPattern("0.0000");
        lossChart.getStyler().setXAxisDecimalPattern("0");
        lossChart.addSeries("train loss", epochs, loss).setMarker(SeriesMarkers.CIRCLE);

        XYChart accChart = new XYChartBuilder().width(560).height(400).title(title + ": accuracy")
                .xAxisTitle("epoch").yAxisTitle("accuracy (%)").build();
        accChart.getStyler().setYAxisDecimalPattern("0.00");
        accChart.getStyler().setXAxisDecimalPattern("0");
        accChart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        accChart.addSeries("train", epochs, trainAcc).setMarker(SeriesMarkers.CIRCLE);
        accChart.addSeries("test", epochs, testAcc).setMarker(SeriesMarkers.DIAMOND);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            BitmapEncoder.saveBitmap(List.of(lossChart, accChart), 1, 2, png, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding failed in memory: " + e.getMessage(), e);
        }
        return png.toByteArray();
    }
}
