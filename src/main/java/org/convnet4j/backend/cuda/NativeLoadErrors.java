package org.convnet4j.backend.cuda;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the long messages of native-library load failures (JCuda's UnsatisfiedLinkError lists every
 * place it looked) into one line for people, e.g. "libcuda.so.1 not found".
 */
final class NativeLoadErrors {
    private static final Pattern MISSING_LIBRARY =
            Pattern.compile("(lib[\\w.+-]+?\\.so[\\w.]*): cannot open shared object file");

    private NativeLoadErrors() {
    }

    /** The missing shared library when the message names one, else the message's last meaningful line. */
    static String summarize(String message) {
        if (message == null || message.isBlank()) {
            return "unknown native load failure";
        }
        Matcher m = MISSING_LIBRARY.matcher(message);
        String missing = null;
        while (m.find()) {
            missing = m.group(1); // the innermost (last) one is the library that is really missing
        }
        if (missing != null) {
            return missing + " not found";
        }
        return message.strip().lines().findFirst().orElse(message).strip();
    }
}
