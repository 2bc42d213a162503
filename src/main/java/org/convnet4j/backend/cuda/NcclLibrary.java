package org.convnet4j.backend.cuda;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds NVIDIA's libnccl.so.2 and loads it into the process before the org.bytedeco NCCL binding
 * (libjninccl.so, which links libnccl.so.2 by that soname) loads: once a library of that soname is in the
 * process, the dynamic linker resolves the binding's dependency to it, wherever the file lies. The
 * bytedeco jar does not carry NCCL, and hosts with PyTorch often have it only inside a Python package
 * (nvidia-nccl-cu13: site-packages/nvidia/nccl/lib/libnccl.so.2), off the system library path.
 *
 * <p>Places, in this order; the first file that loads is used:
 * <ol>
 *   <li>{@code -Dconvnet4j.nccl=PATH} or the environment variable {@code CONVNET4J_NCCL=PATH} (a file, or a
 *       folder holding libnccl.so.2); when set and it does not load, the search stops there with the reason</li>
 *   <li>the loader path: the folders of LD_LIBRARY_PATH, then the system's library folders</li>
 *   <li>CUDA's: $CUDA_HOME, $CUDA_PATH, /usr/local/cuda and /usr/local/cuda-* (lib64, targets/x86_64-linux/lib)</li>
 *   <li>Python packages: nvidia/*&#47;lib/libnccl.so.2 in every site-packages and dist-packages folder of
 *       $VIRTUAL_ENV, $CONDA_PREFIX, the python3 of each PATH folder (and the venv it links to), /opt/*
 *       (and its .venv and venv), /usr/lib/python3*, /usr/local/lib/python3* and ~/.local/lib/python3*</li>
 * </ol>
 * When no file is found the binding is still tried: the dynamic linker also reads its cache (ldconfig).
 */
public final class NcclLibrary {
    /** System property naming libnccl.so.2 (a file, or the folder holding it). */
    public static final String PROPERTY = "convnet4j.nccl";
    /** Environment variable naming libnccl.so.2, when the property is not set. */
    public static final String ENV = "CONVNET4J_NCCL";
    /** The soname the binding links. */
    public static final String SONAME = "libnccl.so.2";

    private static final List<String> SYSTEM_DIRS = List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
            "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib");
    private static Outcome loaded;

    /**
     * Where a search looked and what happened.
     *
     * @param used   the file that loaded, or null
     * @param from   where used was found ("LD_LIBRARY_PATH", "Python package in DIR", ...), or null
     * @param tried  one line per place: "what: path: why it was not used" (or "loaded")
     * @param failed why the user's file did not load (the search stopped there), or null
     */
    public record Outcome(Path used, String from, List<String> tried, String failed) {
        /** One line: "libnccl.so.2: /path (where it was found)", or the places looked at. */
        public String describe() {
            if (used != null) {
                return SONAME + ": " + used + " (" + from + ")";
            }
            if (failed != null) {
                return SONAME + ": " + failed;
            }
            return SONAME + ": no file found, left to the dynamic linker's cache; looked in: " + String.join("; ", tried);
        }
    }

    private final Function<String, String> env;
    private final String property;
    private final Path home;
    private final Function<Path, String> loader;

    /**
     * @param env      the environment (System::getenv)
     * @param property the value of -Dconvnet4j.nccl, or null
     * @param home     the user's home folder
     * @param loader   loads one file: null when it loaded, else why not (System.load in the real search)
     */
    NcclLibrary(Function<String, String> env, String property, Path home, Function<Path, String> loader) {
        this.env = env;
        this.property = property;
        this.home = home;
        this.loader = loader;
    }

    /** Searches and loads libnccl.so.2 once per process; later calls return the first outcome. */
    public static synchronized Outcome load() {
        if (loaded == null) {
            loaded = new NcclLibrary(System::getenv, System.getProperty(PROPERTY),
                    Path.of(System.getProperty("user.home", "/")), NcclLibrary::systemLoad).search();
        }
        return loaded;
    }

    private static String systemLoad(Path file) {
        try {
            System.load(file.toAbsolutePath().toString());
            return null;
        } catch (UnsatisfiedLinkError | SecurityException e) {
            return "System.load failed: " + BytedecoLibraries.messages(e).strip().replace('\n', ' ');
        }
    }

    /** Tries the places in order; loads the first file found that loads. */
    Outcome search() {
        List<String> tried = new ArrayList<>();
        String requested = property != null && !property.isBlank() ? property : env.apply(ENV);
        String requestedBy = property != null && !property.isBlank() ? "-D" + PROPERTY : ENV;
        if (requested != null && !requested.isBlank()) {
            Path p = Path.of(requested.strip());
            Path file = Files.isDirectory(p) ? p.resolve(SONAME) : p;
            if (!Files.isRegularFile(file)) {
                return new Outcome(null, null, List.of(requestedBy + "=" + requested + ": no such file"),
                        requestedBy + "=" + requested + " names no file" + (file != p ? " (looked for " + file + ")" : ""));
            }
            String why = loader.apply(file);
            String line = requestedBy + ": " + file + ": " + (why == null ? "loaded" : why);
            return why == null ? new Outcome(file, requestedBy, List.of(line), null)
                    : new Outcome(null, null, List.of(line), requestedBy + " names " + file + ", which does not load: " + why);
        }
        tried.add(requestedBy + ": not set (nor -D" + PROPERTY + ")");
        for (Place place : places()) {
            Path file = place.dir().resolve(SONAME);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            String why = loader.apply(file);
            tried.add(place.what() + ": " + file + ": " + (why == null ? "loaded" : why));
            if (why == null) {
                return new Outcome(file, place.what(), tried, null);
            }
        }
        tried.add("no " + SONAME + " in " + String.join(", ", placeSummary()));
        return new Outcome(null, null, tried, null);
    }

    /** A folder to look in, and why it is looked in. */
    record Place(String what, Path dir) {
    }

    /** Every folder, in search order, without repeats. */
    List<Place> places() {
        List<Place> places = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        for (String dir : split(env.apply("LD_LIBRARY_PATH"))) {
            add(places, seen, "LD_LIBRARY_PATH", Path.of(dir));
        }
        for (String dir : SYSTEM_DIRS) {
            add(places, seen, "system library folder", Path.of(dir));
        }
        List<Path> cudaRoots = new ArrayList<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.apply(var);
            if (v != null && !v.isBlank()) {
                cudaRoots.add(Path.of(v));
            }
        }
        cudaRoots.add(Path.of("/usr/local/cuda"));
        cudaRoots.addAll(glob(Path.of("/usr/local"), "cuda-*"));
        for (Path root : cudaRoots) {
            add(places, seen, "CUDA", root.resolve("lib64"));
            add(places, seen, "CUDA", root.resolve("targets/x86_64-linux/lib"));
        }
        for (Path sitePackages : sitePackages()) {
            for (Path lib : glob(sitePackages.resolve("nvidia"), "*")) {
                add(places, seen, "Python package in " + sitePackages, lib.resolve("lib"));
            }
        }
        return places;
    }

    /** The kinds of place looked in, for the line that says nothing was found. */
    private List<String> placeSummary() {
        return List.of("LD_LIBRARY_PATH (" + (split(env.apply("LD_LIBRARY_PATH")).isEmpty() ? "empty"
                        : env.apply("LD_LIBRARY_PATH")) + ")", "the system library folders",
                "CUDA's lib64 folders ($CUDA_HOME, $CUDA_PATH, /usr/local/cuda*)",
                "the nvidia/*/lib folders of " + sitePackages().size() + " Python site-packages folders");
    }

    /** Python package folders: those of venvs and conda named by the environment, PATH's pythons, the system's. */
    List<Path> sitePackages() {
        List<Path> prefixes = new ArrayList<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.apply(var);
            if (v != null && !v.isBlank()) {
                prefixes.add(Path.of(v));
            }
        }
        for (String dir : split(env.apply("PATH"))) {
            Path python = Path.of(dir).resolve("python3");
            if (Files.exists(python)) {
                prefixes.add(prefixOf(python));
                try { // /usr/bin/python3 -> /opt/torch/.venv/bin/python3: that venv too (one link, not to the base)
                    if (Files.isSymbolicLink(python)) {
                        prefixes.add(prefixOf(python.getParent().resolve(Files.readSymbolicLink(python))));
                    }
                } catch (IOException | SecurityException e) {
                    // an unreadable link: its folder's prefix is looked in all the same
                }
            }
        }
        for (Path opt : glob(Path.of("/opt"), "*")) { // /opt/conda, /opt/torch/.venv, /opt/x/venv
            prefixes.add(opt);
            prefixes.add(opt.resolve(".venv"));
            prefixes.add(opt.resolve("venv"));
        }
        prefixes.add(Path.of("/usr"));
        prefixes.add(Path.of("/usr/local"));
        prefixes.add(home.resolve(".local"));
        Set<Path> found = new LinkedHashSet<>();
        for (Path prefix : prefixes) {
            for (Path python : glob(prefix.resolve("lib"), "python3*")) {
                for (String kind : List.of("site-packages", "dist-packages")) {
                    if (Files.isDirectory(python.resolve(kind))) {
                        found.add(python.resolve(kind));
                    }
                }
            }
        }
        if (Files.isDirectory(Path.of("/usr/lib/python3/dist-packages"))) {
            found.add(Path.of("/usr/lib/python3/dist-packages"));
        }
        return List.copyOf(found);
    }

    /** The install prefix of an executable: the folder above its bin/ folder. */
    private static Path prefixOf(Path executable) {
        Path bin = executable.toAbsolutePath().normalize().getParent();
        return bin.getParent() == null ? bin : bin.getParent();
    }

    private static void add(List<Place> places, Set<Path> seen, String what, Path dir) {
        if (seen.add(dir.toAbsolutePath().normalize())) {
            places.add(new Place(what, dir));
        }
    }

    private static List<String> split(String pathList) {
        List<String> dirs = new ArrayList<>();
        if (pathList != null) {
            for (String d : pathList.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(d);
                }
            }
        }
        return dirs;
    }

    /** The entries of dir matching the glob, sorted; none when dir is not a readable folder. */
    private static List<Path> glob(Path dir, String pattern) {
        List<Path> entries = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return entries;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, pattern)) {
            s.forEach(entries::add);
        } catch (IOException | SecurityException e) {
            return entries;
        }
        entries.sort(null);
        return entries;
    }
}
