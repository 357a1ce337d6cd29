package dev.plinth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.SharedData;
import dev.plinth.tensor.DType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    @Test
    void resultIsMeanAndSampleStandardDeviation() {
        BenchCommand.Result r = new BenchCommand.Result("tg128", new double[] {10, 12, 14});
        assertEquals(12.0, r.mean(), 1e-12);
        assertEquals(2.0, r.stddev(), 1e-12);
        assertEquals(0.0, new BenchCommand.Result("pp512", new double[] {7}).stddev());
    }

    @Test
    void tableLooksLikeLlamaBench() {
        BenchCommand.ModelFacts facts = new BenchCommand.ModelFacts("smollm2", 143_042_144L, 134_515_008L, "Q8_0");
        List<String> lines = BenchCommand.table(facts, 2, List.of(
                new BenchCommand.Result("pp512", new double[] {100, 110}),
                new BenchCommand.Result("tg128", new double[] {9.5, 9.5})));
        assertEquals(List.of(
                "| model   | size      | params | dtype | threads | test  | t/s           |",
                "| ------- | --------: | -----: | ----- | ------: | ----- | ------------: |",
                "| smollm2 | 136.4 MiB | 134.5M | Q8_0  | 2       | pp512 | 105.00 ± 7.07 |",
                "| smollm2 | 136.4 MiB | 134.5M | Q8_0  | 2       | tg128 | 9.50 ± 0.00   |"), lines);
    }

    @Test
    void dtypeNamesTheLargestShareFirstAndLeavesF32NormsOutOfMixes() {
        Map<DType, Long> mix = new EnumMap<>(DType.class);
        mix.put(DType.F32, 1000L);
        mix.put(DType.Q6_K, 20_000L);
        mix.put(DType.Q4_K, 90_000L);
        assertEquals("Q4_K+Q6_K", BenchCommand.dtypes(mix));
        assertEquals("F32", BenchCommand.dtypes(Map.of(DType.F32, 5L)));
    }

    @Test
    void rejectsBadCounts() {
        for (String[] args : List.of(new String[] {"-r", "0"}, new String[] {"-p", "0", "-n", "0"},
                new String[] {"-p", "-1"}, new String[] {"-t", "0"}, new String[] {"-w", "-2"})) {
            String[] full = new String[args.length + 2];
            full[0] = "bench";
            full[1] = "model.gguf";
            System.arraycopy(args, 0, full, 2, args.length);
            Cli r = Cli.run(full);
            assertEquals(Main.USAGE_ERROR, r.code(), Arrays.toString(args) + ": " + r.err());
            assertTrue(r.err().startsWith("plinth: "), r.err());
        }
    }

    @Test
    void missingModelIsARuntimeError() {
        Cli r = Cli.run("bench", "no/such/model.gguf", "-r", "1");
        assertEquals(Main.RUNTIME_ERROR, r.code());
        assertTrue(r.err().contains("no/such/model.gguf"), r.err());
    }

    @Test
    void benchesARealModelEndToEnd() {
        Path file = SharedData.require("models/stories260K/stories260K.gguf");
        Cli r = Cli.run("bench", file.toString(), "-p", "8", "-n", "4", "-r", "2", "-w", "0");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.outLines();
        assertTrue(lines[0].startsWith("| model "), r.out());
        assertTrue(lines[2].matches("\\| .* \\| F32 +\\| \\d+ +\\| pp8 +\\| [0-9.]+ ± [0-9.]+ +\\|"), lines[2]);
        assertTrue(lines[3].matches("\\| .* \\| tg4 +\\| [0-9.]+ ± [0-9.]+ +\\|"), lines[3]);
        assertTrue(lines[4].matches("cold start to first token: [0-9.]+ s"), lines[4]);
    }
}
