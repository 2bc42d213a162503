package org.convnet4j.cli;

import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** The version from the jar's Maven metadata ("dev" when run from classes). */
final class VersionProvider implements CommandLine.IVersionProvider {
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/META-INF/maven/org.convnet4j/convnet4j/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "dev");
            }
        } catch (java.io.IOException ignored) {
            // fall through
        }
        return "dev";
    }

    @Override
    public String[] getVersion() {
        return new String[] {"convnet4j " + version()};
    }
}
