import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Starts one search node (OpenSearch or Elasticsearch 7, whichever runner is on the class path)
 * bound to 127.0.0.1 only, with security off and data under the given base directory.
 *
 * <p>Usage: {@code SearchNode <engine> <basePath> <httpPort> <transportPort>}. The node's settings
 * are written to {@code <basePath>/node_1/config/<opensearch|elasticsearch>.yml} before the runner
 * starts (the runner copies its own defaults only when that file is missing). The process runs
 * until it is terminated; a shutdown hook closes the node.
 */
public final class SearchNode {
    private SearchNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: SearchNode <opensearch|opensearch3|elasticsearch7> <basePath> <httpPort> <transportPort>");
            System.exit(2);
        }
        String engine = args[0];
        Path base = Paths.get(args[1]).toAbsolutePath();
        int httpPort = Integer.parseInt(args[2]);
        int transportPort = Integer.parseInt(args[3]);

        String runnerClass;
        String configFile;
        switch (engine) {
            case "opensearch":
            case "opensearch3":
                runnerClass = "org.codelibs.opensearch.runner.OpenSearchRunner";
                configFile = "opensearch.yml";
                break;
            case "elasticsearch7":
                runnerClass = "org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner";
                configFile = "elasticsearch.yml";
                break;
            default:
                throw new IllegalArgumentException("unknown engine " + engine);
        }

        Path conf = base.resolve("node_1").resolve("config");
        Files.createDirectories(conf);
        String settings = String.join("\n",
                "network.host: 127.0.0.1",
                "http.host: 127.0.0.1",
                "transport.host: 127.0.0.1",
                "transport.port: " + transportPort,
                "discovery.type: single-node",
                "action.auto_create_index: true",
                "cluster.routing.allocation.disk.threshold_enabled: false",
                "");
        Files.write(conf.resolve(configFile), settings.getBytes(StandardCharsets.UTF_8));

        Class<?> cls = Class.forName(runnerClass);
        Object runner = cls.getConstructor().newInstance();
        // Accept any port: the runner otherwise refuses ports above 9299.
        cls.getMethod("setMaxHttpPort", int.class).invoke(runner, -1);
        Method close = cls.getMethod("close");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                close.invoke(runner);
            } catch (ReflectiveOperationException e) {
                System.err.println("closing the node failed: " + e);
            }
        }));
        Method build = cls.getMethod("build", String[].class);
        // The runner gives node 1 the port baseHttpPort + 1.
        String[] runnerArgs = {
            "-basePath", base.toString(),
            "-numOfNode", "1",
            "-baseHttpPort", Integer.toString(httpPort - 1),
            "-clusterName", "peba-test",
            "-printOnFailure",
        };
        build.invoke(runner, (Object) runnerArgs);
        System.out.println("SEARCH_NODE_STARTED http://127.0.0.1:" + httpPort);
        Thread.currentThread().join();
    }

}
