package org.convnet4j.backend;

/** A checked tensor of rank &gt;= 2 seen as n rows of k values (every dimension after the first). */
public record RowGeometry(int n, int k) {
}
