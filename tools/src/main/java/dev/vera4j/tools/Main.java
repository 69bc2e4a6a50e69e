package dev.vera4j.tools;

/**
 * Bootstrap for {@code java -jar vera4j.jar}. Compiled for Java 17 so that an older default {@code java} still runs it.
 *
 * <p>The Vector API lives in the incubator module {@code jdk.incubator.vector}, which a jar manifest cannot add. When
 * the module is missing, or the running JVM is older than 25 and a JDK 25+ can be found ({@code JAVA_HOME}, then
 * {@code /usr/lib/jvm}), this class re-executes a suitable JVM with {@code --add-modules jdk.incubator.vector} and the
 * same arguments, inheriting standard I/O and returning the child's exit code. It touches no Java 25 class itself:
 * {@link Cli} is reached by reflection once the JVM is right.
 */
public final class Main {
    /** Exit code for runtime errors (bad file, failed load, ...). */
    public static final int EXIT_ERROR = 1;
    /** Exit code for usage errors (unknown command or flag, bad value). */
    public static final int EXIT_USAGE = 2;
    /** The oldest Java feature release vera4j runs on. */
    static final int MIN_JAVA = 25;

    private Main() {}

    public static void main(String[] args) throws Exception {
        boolean relaunched = System.getProperty("vera4j.relaunched") != null;
        if (Runtime.version().feature() < MIN_JAVA) {
            String jdk = relaunched ? null : Relauncher.findJava(MIN_JAVA);
            if (jdk == null) {
                System.err.println("error: vera4j needs Java " + MIN_JAVA + " or newer; this is Java " + Runtime.version()
                        + " (set JAVA_HOME to a JDK " + MIN_JAVA + "+ or run it with that JDK's java)");
                System.exit(EXIT_ERROR);
            }
            System.exit(Relauncher.relaunch(jdk, args));
        }
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && !relaunched) {
            System.exit(Relauncher.relaunch(Relauncher.currentJava(), args));
        }
        Class.forName("dev.vera4j.tools.Cli").getMethod("main", String[].class).invoke(null, (Object) args);
    }
}
