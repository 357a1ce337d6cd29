package dev.plinth.model.lora;

import dev.plinth.model.DecoderConfig;
import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A LoRA adapter in the one in-memory form every adapter file is read into and written from.
 *
 * <p>Each adapted weight of the base is named as in a GGUF base ({@code blk.0.attn_q.weight}) and
 * has a {@link Pair}: {@code a} of shape {@code [r, in]} and {@code b} of shape {@code [out, r]},
 * F32, row-major (PEFT's {@code lora_A}/{@code lora_B} and llama.cpp's {@code .lora_a}/{@code .lora_b}
 * alike), with the rows of {@code b} in the base GGUF's row order (for llama-architecture q and k
 * projections, interleaved RoPE pairs, as llama.cpp's converter permutes them). The adapted
 * product is {@code y = W·x + scale·B·(A·x)} with {@link Pair#scale(boolean)}.
 *
 * <p>Files: {@link #read} takes either kind, {@link PeftAdapters} reads and writes Hugging Face PEFT
 * folders, {@link LoraGguf} llama.cpp's adapter GGUF.
 *
 * @param architecture  the base's {@code general.architecture} (llama, qwen2, ...)
 * @param rsLora        scale by {@code alpha/√r} (rank-stabilised LoRA) instead of {@code alpha/r}
 * @param pairs         the low-rank pairs by base weight name, in file order
 * @param wholeTensors  tensors stored whole rather than as a low-rank pair (PEFT's {@code modules_to_save},
 *                      e.g. a classification head {@code score.weight}), by name
 * @param metadata      provenance, free-form; the keys Plinth writes are the {@code META_*} constants
 */
public record LoraAdapter(String architecture, boolean rsLora, Map<String, Pair> pairs, Map<String, Tensor> wholeTensors,
                          Map<String, String> metadata) {

    /** The sha256 (hex) of the base the adapter was trained on, as {@link #baseDigest} computes it. */
    public static final String META_BASE_DIGEST = "base.digest";
    /** A human name of the base (file name or {@code general.name}). */
    public static final String META_BASE_NAME = "base.name";
    /** What the adapter was trained for: {@code causal}, {@code chat} or {@code classify}. */
    public static final String META_TASK = "task";
    /** The dropout probability the adapter was trained with (PEFT's {@code lora_dropout}), as a decimal. */
    public static final String META_DROPOUT = "lora.dropout";

    /**
     * One adapted weight: {@code a [r, in]}, {@code b [out, r]} and {@code alpha}; an alpha of 0 means
     * "no alpha" and scales by 1, as llama.cpp does.
     */
    public record Pair(Tensor a, Tensor b, float alpha) {
        public Pair {
            if (a.dtype() != DType.F32 || b.dtype() != DType.F32 || a.rank() != 2 || b.rank() != 2) {
                throw new IllegalArgumentException("LoRA pair " + a + " / " + b + ": both must be F32 matrices");
            }
            if (a.dim(0) != b.dim(1)) {
                throw new IllegalArgumentException("LoRA pair " + a + " / " + b + ": A has rank " + a.dim(0)
                        + " rows but B has " + b.dim(1) + " columns");
            }
            if (!Float.isFinite(alpha)) {
                throw new IllegalArgumentException("LoRA alpha must be finite, got " + alpha);
            }
        }

        public int rank() {
            return (int) a.dim(0);
        }

        public long inputs() {
            return a.dim(1);
        }

        public long outputs() {
            return b.dim(0);
        }

        /** {@code alpha / r}, or {@code alpha / √r} with rsLoRA; 1 when alpha is 0. */
        public float scale(boolean rsLora) {
            if (alpha == 0) {
                return 1f;
            }
            return (float) (rsLora ? alpha / Math.sqrt(rank()) : alpha / rank());
        }
    }

    public LoraAdapter {
        if (pairs.isEmpty() && wholeTensors.isEmpty()) {
            throw new IllegalArgumentException("a LoRA adapter needs at least one pair or whole tensor");
        }
        pairs = Collections.unmodifiableMap(new LinkedHashMap<>(pairs));
        wholeTensors = Collections.unmodifiableMap(new LinkedHashMap<>(wholeTensors));
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** The scale applied to {@code pair}'s product. */
    public float scale(Pair pair) {
        return pair.scale(rsLora);
    }

    /**
     * Reads an adapter file of either kind: a PEFT folder ({@link PeftAdapters#read}) or a llama.cpp
     * LoRA GGUF ({@link LoraGguf#read}); {@code base} is the configuration of the base it is applied
     * to (PEFT names and row order are the base's Hugging Face ones).
     */
    public static LoraAdapter read(Path path, DecoderConfig base) throws IOException {
        return Files.isDirectory(path) ? PeftAdapters.read(path, base) : LoraGguf.read(path);
    }

    /**
     * The digest {@link #META_BASE_DIGEST} records: the SHA-256 (lower-case hex) of a base file's
     * bytes, or for a Hugging Face folder of its {@code config.json} followed by its
     * {@code .safetensors} files in name order.
     */
    public static String baseDigest(Path base) throws IOException {
        MessageDigest sha = sha256();
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        for (Path file : digestedFiles(base)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                while (ch.read(buffer.clear()) >= 0) {
                    sha.update(buffer.flip());
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static List<Path> digestedFiles(Path base) throws IOException {
        if (!Files.isDirectory(base)) {
            return List.of(base);
        }
        List<Path> files = new ArrayList<>();
        files.add(base.resolve("config.json"));
        try (Stream<Path> s = Files.list(base)) {
            s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().forEach(files::add);
        }
        return files;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
