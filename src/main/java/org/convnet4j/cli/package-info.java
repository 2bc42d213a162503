/**
 * The {@code convnet4j} command line (picocli): train, eval, fetch-mnist, info. Errors are one paragraph
 * on standard error; exit status 2 for a usage error, 1 for a runtime error, no stack trace unless
 * --verbose.
 */
package org.convnet4j.cli;
