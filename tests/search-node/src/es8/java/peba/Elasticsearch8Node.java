package peba;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClassPathNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/** One Elasticsearch 8 node in this process: {@code Elasticsearch8Node <basePath> <httpPort> <transportPort>}. */
public final class Elasticsearch8Node {

    private Elasticsearch8Node() {}

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]).toAbsolutePath();
        Path config = Files.createDirectories(base.resolve("config"));
        Settings settings = Settings.builder()
            .put("path.home", base.toString())
            .put("path.data", base.resolve("data").toString())
            .put("path.logs", base.resolve("logs").toString())
            .put("cluster.name", "peba-test")
            .put("node.name", "Node 1")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", args[2])
            .put("discovery.type", "single-node")
            .put("action.auto_create_index", "true")
            .put("cluster.routing.allocation.disk.threshold_enabled", "false")
            .build();
        LogConfigurator.configureWithoutConfig(settings);
        Node node = new ClassPathNode(new Environment(settings, config), List.of(Netty4Plugin.class, RootInfoPlugin.class));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                System.err.println("closing the node failed: " + e);
            }
        }));
        node.start();
        System.out.println("SEARCH_NODE_STARTED http://127.0.0.1:" + args[1]);
        // The node's threads are daemons: keep the process until it is signalled.
        Thread.currentThread().join();
    }
}
