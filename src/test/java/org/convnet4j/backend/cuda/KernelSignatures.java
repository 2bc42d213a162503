package org.convnet4j.backend.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The parameter kinds of every {@code extern "C" __global__} kernel in kernels/*.cu, read from the sources:
 * "ptr" (any pointer), "i64" (long long, unsigned long long), "i32" (int), "f32" (float).
 */
final class KernelSignatures {
    private static final Pattern ENTRY = Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");

    private KernelSignatures() {
    }

    static Path kernelsDir() {
        Path dir = Path.of("kernels");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("tests must run from the project root (no kernels/ in "
                    + Path.of("").toAbsolutePath() + ")");
        }
        return dir;
    }

    /** Kernel name to its parameter kinds, over all kernels/*.cu. */
    static Map<String, List<String>> read() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        forEachKernel((file, m) -> {
            List<String> kinds = new ArrayList<>();
            for (String param : m.group(2).split(",")) {
                kinds.add(kind(param.trim(), m.group(1)));
            }
            if (out.put(m.group(1), List.copyOf(kinds)) != null) {
                throw new IllegalStateException("kernel " + m.group(1) + " is defined twice");
            }
        });
        return out;
    }

    /** Kernel name to the stem of the file that defines it ("maxpool_forward_f32" -> "pooling"). */
    static Map<String, String> files() {
        Map<String, String> out = new LinkedHashMap<>();
        forEachKernel((file, m) -> out.put(m.group(1), file.getFileName().toString().replaceFirst("\\.cu$", "")));
        return out;
    }

    private static void forEachKernel(BiConsumer<Path, Matcher> action) {
        try (Stream<Path> files = Files.list(kernelsDir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).sorted().toList()) {
                Matcher m = ENTRY.matcher(Files.readString(f));
                while (m.find()) {
                    action.accept(f, m);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String kind(String param, String kernel) {
        if (param.contains("*")) {
            return "ptr";
        }
        String type = param.replaceAll("\\s+\\w+$", "").replace("const", "").trim();
        return switch (type) {
            case "int" -> "i32";
            case "float" -> "f32";
            case "long long", "unsigned long long" -> "i64";
            default -> throw new IllegalStateException("kernel " + kernel + ": parameter '" + param
                    + "' has a type the launcher cannot pass");
        };
    }
}
