package dev.vera4j.server;

import com.sun.net.httpserver.HttpExchange;
import dev.vera4j.engine.batch.BatchScheduler;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static dev.vera4j.server.Router.map;

/**
 * The endpoints behind the {@link Router}: models, health, metrics, adapter reload, and the two generating endpoints
 * (through {@link GenerationHandler}).
 *
 * <pre>{@code
 * Router router = new Router(new ApiEndpoints(catalog, scheduler, generation, metrics, draining, created, log), key, maxBody, metrics, log);
 * }</pre>
 */
final class ApiEndpoints implements Router.Endpoints {
    private final ModelCatalog catalog;
    private final BatchScheduler scheduler;
    private final GenerationHandler generation;
    private final Metrics metrics;
    private final BooleanSupplier draining;
    private final long created;
    private final java.io.PrintStream log;

    /** @param created the time (epoch seconds) that {@code /v1/models} gives as every model's {@code created} */
    ApiEndpoints(ModelCatalog catalog, BatchScheduler scheduler, GenerationHandler generation, Metrics metrics,
                 BooleanSupplier draining, long created, java.io.PrintStream log) {
        this.catalog = catalog;
        this.scheduler = scheduler;
        this.generation = generation;
        this.metrics = metrics;
        this.draining = draining;
        this.created = created;
        this.log = log;
    }

    @Override
    public int health(HttpExchange ex) throws IOException {
        int status = draining.getAsBoolean() ? 503 : 200;
        var s = scheduler.stats();
        Exchanges.sendJson(ex, status, map("status", status == 200 ? "ok" : "draining", "slots_idle", (long) (s.parallel() - s.active()),
                "slots_processing", (long) s.active(), "queued", (long) s.queued()));
        return status;
    }

    @Override
    public int models(HttpExchange ex) throws IOException {
        List<Object> data = new ArrayList<>();
        for (ModelCatalog.Entry e : catalog.list()) data.add(model(e));
        Exchanges.sendJson(ex, 200, map("object", "list", "data", data));
        return 200;
    }

    @Override
    public int model(HttpExchange ex, String id) throws IOException {
        ModelCatalog.Entry e = catalog.resolve(id);
        if (e == null) throw ApiException.notFound("model", "model_not_found", "The model `" + id + "` does not exist or you do not have access to it.");
        Exchanges.sendJson(ex, 200, model(e));
        return 200;
    }

    private Map<String, Object> model(ModelCatalog.Entry e) {
        Map<String, Object> m = map("id", e.id(), "object", "model", "created", created, "owned_by", "vera4j");
        if (!e.isBase()) {
            m.put("root", e.id());
            m.put("parent", catalog.baseId());
        }
        return m;
    }

    @Override
    public int metrics(HttpExchange ex) throws IOException {
        int adapters = catalog.directory() == null ? 0 : catalog.directory().ids().size();
        String text = metrics.render(scheduler.stats(), catalog.cache() == null ? null : catalog.cache().stats(), adapters);
        Exchanges.sendText(ex, 200, "text/plain; version=0.0.4; charset=utf-8", text);
        return 200;
    }

    @Override
    public int reload(HttpExchange ex) throws IOException {
        if (catalog.directory() == null) {
            throw ApiException.invalid(null, "no_adapter_directory", "The server was started without --adapters.");
        }
        AdapterDirectory.Scan s;
        try {
            s = catalog.directory().rescan();
        } catch (IllegalArgumentException e) {
            throw new ApiException(500, "server_error", null, "adapter_directory_unreadable", e.getMessage(), 0);
        }
        Reports.scan(s, log);
        List<Object> refused = new ArrayList<>();
        s.refused().forEach((name, why) -> refused.add(map("id", name, "error", why)));
        Exchanges.sendJson(ex, 200, map("added", s.added(), "removed", s.removed(), "refused", refused,
                "adapters", (long) catalog.directory().ids().size()));
        return 200;
    }

    @Override
    public void generate(HttpExchange ex, Endpoint endpoint, Map<String, Object> body, RequestLog entry) throws IOException {
        generation.handle(ex, endpoint, body, entry);
    }
}
