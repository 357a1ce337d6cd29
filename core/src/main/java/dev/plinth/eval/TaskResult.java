package dev.plinth.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One task's result on one model: its metrics with standard errors (overall and per value of the
 * {@code by} field), and each item's outcome.
 *
 * @param task     the task's name
 * @param digest   the task's digest ({@link Task#digest})
 * @param kind     its kind's label
 * @param shots    few-shot examples per item
 * @param metrics  metric name to estimate
 * @param groups   group value to (metric name to estimate); empty without {@code by}
 * @param items    each item's outcome, in the task's order
 * @param tokens   tokens the model read
 * @param seconds  wall time of the scoring
 */
public record TaskResult(String task, String digest, String kind, int shots, Map<String, Estimate> metrics,
                         Map<String, Map<String, Estimate>> groups, List<ItemResult> items, long tokens, double seconds) {

    /**
     * One item's outcome.
     *
     * @param id        the row's id (or {@code file:line})
     * @param passed    whether the model got it right (see {@code Metrics.passed}); null for rolling items
     * @param predicted the index of the choice it preferred, or -1
     * @param output    a probe's greedy continuation, else null
     * @param label     a probe's name and check, else null
     */
    public record ItemResult(String id, Boolean passed, int predicted, String output, String label) {
    }

    public TaskResult {
        metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        groups = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(groups));
        items = List.copyOf(items);
    }

    /** Whether a larger value of {@code metric} is better. */
    public static boolean higherIsBetter(String metric) {
        return Metrics.higherIsBetter(metric);
    }

    /** Items counted. */
    public int size() {
        return items.size();
    }

    /** The metric names in the order the task reports them. */
    public List<String> metricNames() {
        return List.copyOf(metrics.keySet());
    }

    /** As JSON: NaN values and standard errors are null. */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("task", task);
        o.put("digest", digest);
        o.put("kind", kind);
        o.put("items", items.size());
        o.put("shots", shots);
        o.set("metrics", estimates(json, metrics));
        ObjectNode g = o.putObject("groups");
        groups.forEach((name, m) -> g.set(name, estimates(json, m)));
        o.put("tokens", tokens);
        o.put("seconds", seconds);
        ArrayNode outcomes = o.putArray("outcomes");
        for (ItemResult r : items) {
            ObjectNode i = outcomes.addObject();
            i.put("id", r.id());
            if (r.passed() != null) {
                i.put("passed", r.passed());
            }
            if (r.predicted() >= 0) {
                i.put("predicted", r.predicted());
            }
            if (r.output() != null) {
                i.put("output", r.output());
            }
            if (r.label() != null) {
                i.put("label", r.label());
            }
        }
        return o;
    }

    private static ObjectNode estimates(ObjectMapper json, Map<String, Estimate> metrics) {
        ObjectNode o = json.createObjectNode();
        metrics.forEach((name, e) -> {
            ObjectNode v = o.putObject(name);
            number(v, "value", e.value());
            number(v, "stderr", e.stderr());
        });
        return o;
    }

    private static void number(ObjectNode o, String field, double x) {
        if (Double.isFinite(x)) {
            o.put(field, x);
        } else {
            o.putNull(field);
        }
    }

    /** Reads what {@link #toJson} wrote. */
    public static TaskResult fromJson(JsonNode o) {
        Map<String, Map<String, Estimate>> groups = new LinkedHashMap<>();
        o.path("groups").properties().forEach(e -> groups.put(e.getKey(), estimates(e.getValue())));
        List<ItemResult> items = new ArrayList<>();
        for (JsonNode i : o.path("outcomes")) {
            items.add(new ItemResult(i.path("id").asText(), i.has("passed") ? i.get("passed").asBoolean() : null,
                    i.path("predicted").asInt(-1), i.hasNonNull("output") ? i.get("output").asText() : null,
                    i.hasNonNull("label") ? i.get("label").asText() : null));
        }
        return new TaskResult(o.path("task").asText(), o.path("digest").asText(), o.path("kind").asText(),
                o.path("shots").asInt(), estimates(o.path("metrics")), groups, items, o.path("tokens").asLong(),
                o.path("seconds").asDouble());
    }

    private static Map<String, Estimate> estimates(JsonNode o) {
        Map<String, Estimate> m = new LinkedHashMap<>();
        o.properties().forEach(e -> m.put(e.getKey(), new Estimate(value(e.getValue().get("value")),
                value(e.getValue().get("stderr")))));
        return m;
    }

    private static double value(JsonNode v) {
        return v == null || v.isNull() ? Double.NaN : v.asDouble();
    }
}
