package dev.vera4j.spark;

import dev.vera4j.engine.api.Model;
import org.junit.jupiter.api.Test;

import static dev.vera4j.spark.SparkTestSupport.MODEL;
import static org.junit.jupiter.api.Assertions.*;

/** The executor's holder: one model per key for the JVM's lifetime, kept objects per model, a clear error for a missing file. */
class ExecutorModelsTest {
    @Test
    void oneModelPerKeyAndKeptObjectsWithIt() {
        ExecutorModels.Key key = new ExecutorModels.Key(MODEL.toAbsolutePath().toString(), 1, false);
        Model a = ExecutorModels.use(key, ExecutorModels.Loaded::model), b = ExecutorModels.use(key, ExecutorModels.Loaded::model);
        assertSame(a, b);
        Model other = ExecutorModels.use(new ExecutorModels.Key(key.path(), 1, true), ExecutorModels.Loaded::model);
        assertNotSame(a, other, "decode copies are another key");
        Object x = ExecutorModels.use(key, l -> l.cached("k", Object::new)), y = ExecutorModels.use(key, l -> l.cached("k", Object::new));
        assertSame(x, y);
    }

    @Test
    void aMissingModelSaysHowToShipIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExecutorModels.use(new ExecutorModels.Key("/nonexistent/base.gguf", 0, false), ExecutorModels.Loaded::model));
        assertTrue(e.getMessage().contains("--files"), e.getMessage());
    }
}
