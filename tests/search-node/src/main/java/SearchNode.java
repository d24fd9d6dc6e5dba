import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts one search node (OpenSearch or Elasticsearch 7, whichever runner is on the class path)
 * bound to 127.0.0.1 only, with security off and data under the given base directory, or a
 * cluster of several OpenSearch nodes in one process.
 *
 * <p>Usage: {@code SearchNode <engine> <basePath> <httpPort> <transportPort> [<nodes>]}. Node
 * {@code i} (from 1) listens on {@code httpPort + i - 1} and {@code transportPort + i - 1}; its
 * settings are written to {@code <basePath>/node_<i>/config/<opensearch|elasticsearch>.yml}
 * before the runner starts (the runner copies its own defaults only when that file is missing).
 * The process runs until it is terminated; a shutdown hook closes the nodes.
 *
 * <p>A cluster's nodes can be stopped and started again: write {@code stop <i>} or
 * {@code start <i>} to {@code <basePath>/control}; the command is done when
 * {@code <basePath>/control.done} appears (holding {@code ok} or the error).
 */
public final class SearchNode {
    private SearchNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4 && args.length != 5) {
            System.err.println("usage: SearchNode <opensearch|opensearch3|elasticsearch7> <basePath> <httpPort> <transportPort> [<nodes>]");
            System.exit(2);
        }
        int nodes = args.length == 5 ? Integer.parseInt(args[4]) : 1;
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

        List<String> seeds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            seeds.add("\"127.0.0.1:" + (transportPort + i - 1) + "\"");
            // the runner names its nodes "Node <i>"
            names.add("\"Node " + i + "\"");
        }
        for (int i = 1; i <= nodes; i++) {
            Path conf = base.resolve("node_" + i).resolve("config");
            Files.createDirectories(conf);
            List<String> lines = new ArrayList<>(List.of(
                    "network.host: 127.0.0.1",
                    "http.host: 127.0.0.1",
                    "transport.host: 127.0.0.1",
                    "transport.port: " + (transportPort + i - 1),
                    "action.auto_create_index: true",
                    "cluster.routing.allocation.disk.threshold_enabled: false"));
            if (nodes == 1) {
                lines.add("discovery.type: single-node");
            } else {
                lines.add("discovery.seed_hosts: [" + String.join(", ", seeds) + "]");
                lines.add("cluster.initial_cluster_manager_nodes: [" + String.join(", ", names) + "]");
            }
            lines.add("");
            Files.write(conf.resolve(configFile), String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
        }

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
            "-numOfNode", Integer.toString(nodes),
            "-baseHttpPort", Integer.toString(httpPort - 1),
            "-clusterName", "peba-test",
            "-printOnFailure",
        };
        build.invoke(runner, (Object) runnerArgs);
        System.out.println("SEARCH_NODE_STARTED http://127.0.0.1:" + httpPort);
        if (nodes == 1) {
            Thread.currentThread().join();
        }
        obey(runner, cls, base);
    }

    /** Carries out the stop and start commands written to {@code <base>/control}, forever. */
    private static void obey(Object runner, Class<?> cls, Path base) throws Exception {
        Path control = base.resolve("control");
        Path done = base.resolve("control.done");
        Method getNode = cls.getMethod("getNode", int.class);
        Method startNode = cls.getMethod("startNode", int.class);
        while (true) {
            Thread.sleep(100);
            if (!Files.exists(control)) {
                continue;
            }
            String[] command = new String(Files.readAllBytes(control), StandardCharsets.UTF_8).trim().split(" ");
            Files.delete(control);
            String outcome;
            try {
                int index = Integer.parseInt(command[1]) - 1;
                if (command[0].equals("stop")) {
                    Object node = getNode.invoke(runner, index);
                    node.getClass().getMethod("close").invoke(node);
                    node.getClass().getMethod("awaitClose", long.class, TimeUnit.class).invoke(node, 30L, TimeUnit.SECONDS);
                    outcome = "ok";
                } else if (command[0].equals("start")) {
                    outcome = Boolean.TRUE.equals(startNode.invoke(runner, index)) ? "ok" : "not started";
                } else {
                    outcome = "unknown command " + command[0];
                }
            } catch (Exception e) {
                outcome = "error " + e;
            }
            System.out.println("control: " + String.join(" ", command) + ": " + outcome);
            Files.write(done, outcome.getBytes(StandardCharsets.UTF_8));
        }
    }

}
