package dev.plinth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.model.ModelRuntime;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every built-in task reads its shared data set whole and runs on a real model. */
class BuiltInTasksTest {

    @Test
    void everyBuiltInTaskReadsItsWholeDataSetAndRuns() throws Exception {
        Path data = SharedData.require("arc-easy").getParent();
        Path model = SharedData.require("models/stories260K/stories260K.gguf");
        try (ModelRuntime rt = ModelRuntime.open(model, null)) {
            Evaluator evaluator = new Evaluator(rt, PromptFormat.RAW, Evaluator.Options.defaults().withLimit(12).withBootstrap(100));
            for (String name : Tasks.BUILT_IN) {
                Task task = Tasks.resolve(name, data);
                assertTrue(task.size() > 0, name);
                TaskResult r = evaluator.run(task, Evaluator.Progress.NONE);
                System.out.println(name + " " + task.size() + " rows: " + r.metrics() + " tokens " + r.tokens() + " in " + r.seconds());
                assertEquals(12, r.size(), name);
                assertFalse(r.metrics().isEmpty(), name);
                for (Map.Entry<String, Estimate> e : r.metrics().entrySet()) {
                    assertTrue(!Double.isInfinite(e.getValue().value()), name + " " + e.getKey());
                }
            }
        }
    }
}
