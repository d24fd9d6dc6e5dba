package org.elasticsearch.node;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClassPathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/**
 * An Elasticsearch node whose plugins are classes on the class path, with no modules and no
 * module exports (the server runs from plain jars, not as a named module).
 */
public final class ClassPathNode extends Node {

    public ClassPathNode(Environment environment, List<Class<? extends Plugin>> plugins) {
        this(environment, PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false), plugins);
    }

    private ClassPathNode(Environment environment, PluginsLoader loader, List<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(environment, loader, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment env, PluginsLoader l) {
                return new ClassPathPluginsService(env.settings(), env, l, plugins);
            }
        }, true));
    }

    @Override
    protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {
        // The node and cluster ids only decorate log lines; nothing to do here.
    }
}
