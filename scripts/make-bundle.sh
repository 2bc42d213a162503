#!/usr/bin/env bash
# Builds dist/convnet4j-bundle.tar.xz (xz-compressed tarball): a self-contained bundle for a Linux x86-64 GPU host with no JDK.
#   runtime/  a jlink Java runtime (only the modules the jars need)
#   lib/      the convnet4j jar, its test jar (native tests, benchmarks) and every dependency, with the
#             native-library jars cut down to the libraries convnet4j loads
#   bin/      convnet4j (the CLI), native-tests (JUnit console launcher, tag gpu), bench (JMH)
#   BUILD     commit=<short sha, "-dirty" with uncommitted changes>, branch=, built=<UTC time>: a GPU host's
#             copy of the repository may have no .git, so scripts/gpu-run.sh reads the commit from here
# Usage: scripts/make-bundle.sh            (runs `mvn package` first unless SKIP_MAVEN=1)
# The result must stay under 40 MiB; the script fails if it does not.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/bundle/convnet4j
rm -rf "$root/target/bundle"
mkdir -p "$out/lib" "$out/bin" "$root/dist"

if [ "${SKIP_MAVEN:-0}" != 1 ]; then
  mvn -q -DskipTests package
fi
mvn -q dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$out/lib"
# The JUnit console launcher runs the native tests on the GPU host.
mvn -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.11.3 \
    -DoutputDirectory="$out/lib"
# Not needed at run time: the JMH annotation processor and the JUnit aggregate artifacts the
# standalone launcher already contains.
rm -f "$out"/lib/jmh-generator-annprocess-*.jar "$out"/lib/junit-jupiter-*.jar \
      "$out"/lib/junit-platform-commons-*.jar "$out"/lib/junit-platform-engine-*.jar "$out"/lib/opentest4j-*.jar "$out"/lib/apiguardian-*.jar
# The library and its test jar; not the sources and javadoc jars the build attaches for Maven.
ls target/convnet4j-*.jar | grep -v -e '-sources\.jar$' -e '-javadoc\.jar$' | xargs -I{} cp {} "$out/lib/"

# Native-library jars: keep only what convnet4j loads (the JCuda driver binding; cudart, cuBLAS, cuFFT,
# cuDNN and NCCL from the bytedeco CUDA 13 bindings). The rest (NVPTX compiler, NPP, cuFFTW...) is 50 MB.
# libjninccl.so links libnccl.so.2, which no jar carries: NcclLibrary finds the host's (CONVNET4J_NCCL,
# the loader path, CUDA's folders, Python packages such as nvidia-nccl-cu13) and loads it first.
python3 - "$out/lib" <<'PY'
import os, re, sys, zipfile
lib = sys.argv[1]
keep = {
    'jcuda-natives': re.compile(r'libJCudaDriver-'),
    'cuda-': re.compile(r'libjni(cudart|cublas|cudnn|cufft|nccl)\.so$'),
}
for name in os.listdir(lib):
    rule = next((r for k, r in keep.items() if name.startswith(k) and 'linux-x86_64' in name), None)
    if rule is None:
        continue
    path = os.path.join(lib, name)
    tmp = path + '.tmp'
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, 'w', zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename.endswith('.so') and not rule.search(item.filename):
                continue
            dst.writestr(item, src.read(item.filename))
    os.replace(tmp, path)
PY

# A Java runtime with the modules the jars use. Linked from a Temurin JDK when one is installed:
# its font stack (freetype, harfbuzz) is built in, while Debian's OpenJDK links the system's
# libharfbuzz, which GPU hosts without a desktop lack. The classes target Java 17, so any JDK >= 17
# runs them (jdk.management: CpuGemmBenchmark reads the process CPU time). A font travels in runtime/lib/fonts for hosts with no fonts at all (plots need one).
jhome=${BUNDLE_JDK:-$(ls -d /usr/lib/jvm/temurin-*-jdk-* 2>/dev/null | sort -V | tail -1)}
jhome=${jhome:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}}
modules=java.base,java.desktop,java.logging,java.management,jdk.management,java.xml,java.naming,jdk.unsupported,jdk.zipfs
"$jhome/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --output "$out/runtime"
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ -f "$font" ]; then
  mkdir -p "$out/runtime/lib/fonts"
  cp "$font" "$out/runtime/lib/fonts/"
  # Temurin finds fonts through fontconfig; this configuration names the bundled folder, so a host
  # without fonts or a fontconfig setup still draws text (bin/env.sh points FONTCONFIG_FILE here).
  cat > "$out/runtime/lib/fonts/fonts.conf" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir prefix="relative">.</dir>
  <cachedir>/tmp/convnet4j-fontconfig-cache</cachedir>
</fontconfig>
XML
  # Temurin opens the system's libfontconfig.so.1, which GPU hosts without a desktop lack (the H100
  # host had none): carry Debian's, with the libraries it needs beyond glibc, zlib and expat.
  mkdir -p "$out/runtime/lib/fontlibs"
  for so in libfontconfig.so.1 libfreetype.so.6 libpng16.so.16 libbrotlidec.so.1 libbrotlicommon.so.1; do
    f=$(ldconfig -p | awk -v n="$so" '$1 == n && /x86-64/ {print $NF; exit}')
    [ -n "$f" ] && cp -L "$f" "$out/runtime/lib/fontlibs/"
  done
fi
echo "runtime: $("$out/runtime/bin/java" -version 2>&1 | head -1) from $jhome"

cat > "$out/bin/env.sh" <<'SH'
# Sourced by the launchers: the bundle's runtime and class path.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAVA="$here/runtime/bin/java"
CP=$(ls "$here"/lib/*.jar | grep -v console-standalone | tr '\n' ':')
# --enable-native-access: the JNI libraries (netlib BLAS, JCuda, JavaCPP) load from the class path; Java 24
# and newer warn about that on every start unless it is allowed.
JAVA_OPTS="-Djava.awt.headless=true --enable-native-access=ALL-UNNAMED ${JAVA_OPTS:-}"
[ -f "$here/runtime/lib/fonts/fonts.conf" ] && export FONTCONFIG_FILE="$here/runtime/lib/fonts/fonts.conf"
# Fallback font libraries: searched after the system's (LD_LIBRARY_PATH comes first, so append only
# when the system has no fontconfig).
if ! ldconfig -p 2>/dev/null | grep -q 'libfontconfig.so.1 '; then
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$here/runtime/lib/fontlibs"
fi
SH
cat > "$out/bin/convnet4j" <<'SH'
#!/usr/bin/env bash
# The convnet4j command line (train, eval, info, bench, fetch-mnist) on the bundled runtime.
source "$(dirname "$0")/env.sh"
exec "$JAVA" $JAVA_OPTS -cp "$CP" org.convnet4j.cli.Main "$@"
SH
cat > "$out/bin/native-tests" <<'SH'
#!/usr/bin/env bash
# Runs the GPU tests (JUnit tag "gpu") with the JUnit console launcher; extra arguments go to it,
# e.g. --reports-dir=DIR for XML reports, or --include-tag= to run every test.
source "$(dirname "$0")/env.sh"
exec "$JAVA" $JAVA_OPTS -jar "$here"/lib/junit-platform-console-standalone-*.jar execute \
  --class-path "$CP" --scan-class-path "$(ls "$here"/lib/convnet4j-*-tests.jar)" \
  --include-tag gpu --details=tree --disable-banner "$@"
SH
cat > "$out/bin/bench" <<'SH'
#!/usr/bin/env bash
# Runs the JMH benchmarks (arguments go to JMH, e.g. "ConvolutionBenchmark -f 1 -wi 3 -i 5 -rf json").
source "$(dirname "$0")/env.sh"
exec "$JAVA" $JAVA_OPTS -cp "$CP" org.openjdk.jmh.Main "$@"
SH
chmod +x "$out"/bin/*
if commit=$(git rev-parse --short HEAD 2>/dev/null); then
  git diff --quiet HEAD -- || commit="$commit-dirty"
else
  commit="unknown (not built in a git checkout)"
fi
printf 'commit=%s\nbranch=%s\nbuilt=%s\n' "$commit" "$(git rev-parse --abbrev-ref HEAD 2>/dev/null)" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$out/BUILD"
cat "$out/BUILD"

XZ_OPT=-T0 tar -C "$root/target/bundle" -cJf "$root/dist/convnet4j-bundle.tar.xz" convnet4j
size=$(stat -c %s "$root/dist/convnet4j-bundle.tar.xz")
echo "dist/convnet4j-bundle.tar.xz: $((size / 1024 / 1024)) MiB ($size bytes)"
if [ "$size" -gt $((40 * 1024 * 1024)) ]; then
  echo "the bundle is over 40 MiB" >&2
  exit 1
fi
