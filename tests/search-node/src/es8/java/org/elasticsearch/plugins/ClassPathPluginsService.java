package org.elasticsearch.plugins;

import java.util.ArrayList;
import java.util.List;
import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

/**
 * A plugins service that adds plugin classes found on the class path (Maven Central ships
 * transport-netty4 as a plain jar, not as an installable plugin bundle). It lives in this
 * package to reach the package-private plugin loading of {@link PluginsService}.
 */
public final class ClassPathPluginsService extends PluginsService {

    private final List<LoadedPlugin> loaded;
    private final PluginsAndModules described;

    public ClassPathPluginsService(Settings settings, Environment environment, PluginsLoader loader,
            List<Class<? extends Plugin>> classes) {
        super(settings, environment.configDir(), loader);
        List<LoadedPlugin> all = new ArrayList<>(super.plugins());
        List<PluginRuntimeInfo> infos = new ArrayList<>(super.info().getPluginInfos());
        for (Class<? extends Plugin> cls : classes) {
            PluginDescriptor descriptor = new PluginDescriptor(cls.getName(), "class path plugin", "NA",
                    Build.current().version(), Integer.toString(Runtime.version().feature()),
                    cls.getName(), null, List.of(), false, false, false, false);
            all.add(new LoadedPlugin(descriptor, loadPlugin(cls, settings, environment.configDir()),
                    cls.getClassLoader()));
            infos.add(new PluginRuntimeInfo(descriptor));
        }
        loaded = List.copyOf(all);
        described = new PluginsAndModules(infos, super.info().getModuleInfos());
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }

    @Override
    public PluginsAndModules info() {
        return described;
    }
}
