#!/usr/bin/env bash
# An embedder's view of the library: installs convnet4j into the local Maven repository (~/.m2), builds a
# throwaway Maven project that depends on it, checks that the project's runtime class path holds none of
# the command line's jars (picocli, XChart, progressbar, JLine), and runs two programs there on the CPU:
# the example of docs/embedding.md (src/test/java/org/convnet4j/examples/EmbeddingExample.java, copied
# as it is) and a one-epoch LeNet-5 training run, which must write its reports and skip curves.png with
# one line (XChart is absent). Called by .ci/run after `mvn verify`.
# Usage: scripts/check-consumer.sh   (MVN_ARGS, e.g. MVN_ARGS=-o, go to every mvn call; SKIP_INSTALL=1
#        uses the artifact already installed)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' pom.xml | head -n 1)
mvn=(mvn -B -q ${MVN_ARGS:-})

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  "${mvn[@]}" -DskipTests install
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/main/java/org/convnet4j/examples" "$work/src/main/java/consumer"
# The plugins are pinned to the versions the library's build already uses, so -o works after it.
cat > "$work/pom.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>consumer</groupId>
  <artifactId>consumer</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.convnet4j</groupId>
      <artifactId>convnet4j</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
XML
cp src/test/java/org/convnet4j/examples/EmbeddingExample.java "$work/src/main/java/org/convnet4j/examples/"
cat > "$work/src/main/java/consumer/TrainWithoutPlots.java" <<'JAVA'
package consumer;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.convnet4j.backend.cpu.CpuBackend;
import org.convnet4j.data.SyntheticDataset;
import org.convnet4j.tensor.Shape;
import org.convnet4j.train.PlainProgress;
import org.convnet4j.train.TrainConfig;
import org.convnet4j.train.Trainer;

/** One epoch of LeNet-5 on synthetic data into the directory args[0]. */
public class TrainWithoutPlots {
    public static void main(String[] args) {
        Shape item = Shape.of(1, 28, 28);
        TrainConfig config = new TrainConfig("lenet5", "synthetic", 1, 32, 0.01f, 1f, "sgd", 0f, 42, 0);
        try (CpuBackend backend = new CpuBackend()) {
            Trainer.Result r = new Trainer(backend, config, SyntheticDataset.learnable(256, item, 10, 1),
                    SyntheticDataset.learnable(64, item, 10, 2), Path.of(args[0]),
                    new PlainProgress(new PrintWriter(System.out, true), 60)).run(null);
            System.out.println("test accuracy " + r.testAccuracy());
        }
    }
}
JAVA

(cd "$work" && "${mvn[@]}" compile dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=cp.txt)
echo "consumer: runtime class path of a project depending on org.convnet4j:convnet4j:$version:"
tr ':' '\n' < "$work/cp.txt" | sed 's|.*/||' | sort | tr '\n' ' '
echo
forbidden=$(tr ':' '\n' < "$work/cp.txt" | grep -E '/(picocli|xchart|progressbar|jline[^/]*)/' || true)
if [ -n "$forbidden" ]; then
  echo "consumer: the class path holds the command line's jars, which an embedder must not receive:" >&2
  echo "$forbidden" >&2
  exit 1
fi
cp="$work/target/classes:$(cat "$work/cp.txt")"

out=$(java -cp "$cp" org.convnet4j.examples.EmbeddingExample)
echo "$out"
grep -qF 'maxPoolForward: [15.0, 16.0, 10.0, 15.0], switches [5, 6, 8, 10]' <<<"$out" \
  || { echo "consumer: the embedding example printed an unexpected result (above)" >&2; exit 1; }

run="$work/run"
java -Djava.awt.headless=true -cp "$cp" consumer.TrainWithoutPlots "$run" >"$work/train.out" 2>"$work/train.err" \
  || { cat "$work/train.out" "$work/train.err" >&2; echo "consumer: training failed" >&2; exit 1; }
cat "$work/train.err"
tail -n 1 "$work/train.out"
for f in metrics.csv summary.json filters.png; do
  test -s "$run/$f" || { echo "consumer: training wrote no $f" >&2; exit 1; }
done
test ! -e "$run/curves.png" || { echo "consumer: curves.png was written without XChart?" >&2; exit 1; }
cat "$work/train.out" "$work/train.err" | grep -q 'curves.png skipped: XChart' \
  || { echo "consumer: training did not say that it skipped curves.png" >&2; exit 1; }
echo "consumer: OK (no CLI jars on the class path; the embedding example and a training run work without them)"
