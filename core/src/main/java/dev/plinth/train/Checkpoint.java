package dev.plinth.train;

import dev.plinth.io.AtomicFiles;
import dev.plinth.io.ModelFormatException;
import dev.plinth.tensor.autograd.Variable;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint (of a pretraining or a fine-tuning run): everything a resumed
 * {@link Trainer} needs to continue bit for bit. The file (little-endian) is
 *
 * <pre>
 * "PLNTCKPT" u32 version=1
 * u32 n, n bytes    configuration (UTF-8 properties: {@link PretrainConfig#toProperties}, or a
 *                   fine-tuning run's, whose first line is {@value #FINETUNE_HEADER})
 * u32 vocabSize
 * u64 step, u64 samplerState, u64 tokensSeen
 * u32 rows, rows × (u64 step, f64 lr, f32 trainLoss, f64 valLoss, f64 tokensPerSecond, f64 gradNorm)
 * u32 params, params × (u16 n, n bytes name, u32 rank, rank × u32 dim, u64 adamStep,
 *                       size × f32 value, size × f32 adamM, size × f32 adamV)
 * 32 bytes          SHA-256 of everything before it
 * </pre>
 *
 * The parameters are the ones the run trains: every weight of a pretraining run or of a full
 * fine-tune, the LoRA pairs and head of a LoRA fine-tune (its base stays in its own file). It is
 * written atomically (temp file, fsync, rename over the previous one, which stays until the new
 * one is complete) and its digest is verified before anything in it is trusted.
 */
public final class Checkpoint {

    /** The checkpoint's file name in a run's output folder. */
    public static final String FILE_NAME = "checkpoint.plnt";

    private static final byte[] MAGIC = "PLNTCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int DIGEST = 32;

    /** The first line of a fine-tuning run's configuration, which tells its checkpoints apart. */
    static final String FINETUNE_HEADER = "# plinth finetune configuration";

    /** What a pretraining checkpoint holds; {@code moments} has an entry per parameter that took a step. */
    record State(PretrainConfig config, TrainableDecoder model, long step, long samplerState, long tokensSeen,
                 List<TrainingLog.Row> log, Map<String, AdamW.Moments> moments) {
    }

    /**
     * What any checkpoint holds: the configuration text, the vocabulary size, where the run stands,
     * the trained parameters by name (in file order) and their optimizer state.
     */
    record Contents(String config, int vocabSize, long step, long samplerState, long tokensSeen,
                    List<TrainingLog.Row> log, Map<String, Variable> params, Map<String, AdamW.Moments> moments) {
        /** Whether a fine-tuning run wrote it. */
        boolean finetune() {
            return config.startsWith(FINETUNE_HEADER);
        }
    }

    private Checkpoint() {
    }

    /** Reads only the model of a checkpoint (for export or evaluation). */
    public static TrainableDecoder readModel(Path file) throws IOException {
        return read(file).model();
    }

    /** Whether {@code file} is a regular file that starts with the checkpoint magic (a cheap check before reading). */
    public static boolean isCheckpoint(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        }
    }

    static void write(Path file, Contents s) throws IOException {
        AtomicFiles.write(file, ch -> {
            try (Out out = new Out(ch)) {
                out.bytes(MAGIC);
                out.u32(VERSION);
                byte[] cfg = s.config().getBytes(StandardCharsets.UTF_8);
                out.u32(cfg.length);
                out.bytes(cfg);
                out.u32(s.vocabSize());
                out.u64(s.step());
                out.u64(s.samplerState());
                out.u64(s.tokensSeen());
                out.u32(s.log().size());
                for (TrainingLog.Row r : s.log()) {
                    out.u64(r.step());
                    out.f64(r.lr());
                    out.f32(r.trainLoss());
                    out.f64(r.valLoss());
                    out.f64(r.tokensPerSecond());
                    out.f64(r.gradNorm());
                }
                Map<String, Variable> params = s.params();
                out.u32(params.size());
                for (Variable p : params.values()) {
                    byte[] name = p.name().getBytes(StandardCharsets.UTF_8);
                    out.u16(name.length);
                    out.bytes(name);
                    int[] shape = p.shape();
                    out.u32(shape.length);
                    for (int d : shape) {
                        out.u32(d);
                    }
                    AdamW.Moments m = s.moments().get(p.name());
                    out.u64(m == null ? 0 : m.step());
                    out.floats(p.data());
                    out.floats(m == null ? new float[p.size()] : m.m());
                    out.floats(m == null ? new float[p.size()] : m.v());
                }
                out.finish();
            }
        });
    }

    /** Reads a pretraining checkpoint; a fine-tuning run's is refused. */
    static State read(Path file) throws IOException {
        Contents c = readContents(file);
        if (c.finetune()) {
            throw new ModelFormatException(file, "config", 12, "a fine-tuning checkpoint, not a pretraining one; "
                    + "the fine-tuned model is in its run folder (adapter or base.gguf)");
        }
        PretrainConfig config;
        try {
            config = PretrainConfig.parse(c.config(), file + " (config)");
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "config", 12, e.getMessage());
        }
        Map<String, float[]> weights = new LinkedHashMap<>();
        c.params().forEach((name, v) -> weights.put(name, v.data()));
        boolean tied = !weights.containsKey("output.weight");
        TrainableDecoder model;
        try {
            model = TrainableDecoder.fromWeights(config.decoder(c.vocabSize()), tied, weights);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "parameters", 0, "parameters do not fit the configuration: " + e.getMessage());
        }
        return new State(config, model, c.step(), c.samplerState(), c.tokensSeen(), c.log(), c.moments());
    }

    /** Reads any checkpoint, its configuration left as text. */
    static Contents readContents(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < MAGIC.length + 4 + DIGEST) {
                throw new ModelFormatException(file, "header", size, "file of " + size + " bytes is too short for a checkpoint");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            In in = new In(file, all, size - DIGEST);
            byte[] magic = in.bytes(MAGIC.length, "magic");
            if (!MessageDigest.isEqual(magic, MAGIC)) {
                throw new ModelFormatException(file, "magic", 0, "not a plinth pretraining checkpoint");
            }
            int version = in.u32("version");
            if (version != VERSION) {
                throw new ModelFormatException(file, "version", 8, "unsupported checkpoint version " + Integer.toUnsignedString(version));
            }
            byte[] expected = all.asSlice(size - DIGEST, DIGEST).toArray(ValueLayout.JAVA_BYTE);
            if (!MessageDigest.isEqual(expected, sha256(all, size - DIGEST))) {
                throw new ModelFormatException(file, "sha256", size - DIGEST,
                        "checksum mismatch: the checkpoint is truncated or corrupt (an interrupted copy?); use an intact one");
            }
            return parse(file, in);
        }
    }

    private static Contents parse(Path file, In in) throws IOException {
        String props = new String(in.bytes(in.count("config length", 1 << 20), "config"), StandardCharsets.UTF_8);
        long vocabAt = in.position();
        int vocab = in.count("vocabSize", 1 << 24);
        if (vocab == 0) {
            throw new ModelFormatException(file, "vocabSize", vocabAt, "vocabulary size 0");
        }
        long step = in.u64("step");
        long samplerState = in.u64("samplerState");
        long tokensSeen = in.u64("tokensSeen");
        int rows = in.count("log rows", Integer.MAX_VALUE);
        in.need((long) rows * 44, "log");
        List<TrainingLog.Row> log = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            log.add(new TrainingLog.Row(in.u64("log step"), in.f64("lr"), in.f32("trainLoss"), in.f64("valLoss"),
                    in.f64("tokensPerSecond"), in.f64("gradNorm")));
        }
        int count = in.count("parameter count", 1 << 20);
        Map<String, Variable> params = new LinkedHashMap<>();
        Map<String, AdamW.Moments> moments = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            long nameLen = in.u16("name length");
            String name = new String(in.bytes((int) nameLen, "name"), StandardCharsets.UTF_8);
            long rankAt = in.position();
            int rank = in.count("rank", 8);
            int[] shape = new int[rank];
            long n = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = in.count("dimension", Integer.MAX_VALUE);
                n *= shape[d];
                if (n > Integer.MAX_VALUE - 8) {
                    throw new ModelFormatException(file, "shape of " + name, rankAt, "tensor too large for an array");
                }
            }
            long adamStep = in.u64("adam step");
            in.need(n * 12, "values of " + name);
            float[] w = in.floats((int) n);
            float[] m = in.floats((int) n);
            float[] v = in.floats((int) n);
            if (params.put(name, Variable.parameter(name, w, shape)) != null) {
                throw new ModelFormatException(file, "name", rankAt, "parameter " + name + " appears twice");
            }
            if (adamStep > 0) {
                moments.put(name, new AdamW.Moments(m, v, adamStep));
            }
        }
        if (in.position() != in.end()) {
            throw new ModelFormatException(file, "end", in.position(), (in.end() - in.position()) + " unexpected bytes after the parameters");
        }
        return new Contents(props, vocab, step, samplerState, tokensSeen, log, params, moments);
    }

    private static byte[] sha256(MemorySegment s, long length) {
        MessageDigest md = newDigest();
        for (long at = 0; at < length; at += 1 << 30) {
            md.update(s.asSlice(at, Math.min(1 << 30, length - at)).asByteBuffer());
        }
        return md.digest();
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Buffered little-endian writer that digests what it writes and appends the digest at the end. */
    private static final class Out implements AutoCloseable {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final MessageDigest md = newDigest();

        Out(FileChannel ch) {
            this.ch = ch;
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        private void flush() throws IOException {
            buf.flip();
            md.update(buf.duplicate());
            AtomicFiles.writeFully(ch, buf);
            buf.clear();
        }

        void bytes(byte[] b) throws IOException {
            for (int at = 0; at < b.length; ) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - at);
                buf.put(b, at, n);
                at += n;
            }
        }

        void u16(int v) throws IOException {
            room(2);
            buf.putShort((short) v);
        }

        void u32(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        void u64(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void f32(float v) throws IOException {
            room(4);
            buf.putFloat(v);
        }

        void f64(double v) throws IOException {
            room(8);
            buf.putDouble(v);
        }

        void floats(float[] a) throws IOException {
            for (int at = 0; at < a.length; ) {
                room(4);
                int n = Math.min(buf.remaining() / 4, a.length - at);
                buf.asFloatBuffer().put(a, at, n);
                buf.position(buf.position() + 4 * n);
                at += n;
            }
        }

        void finish() throws IOException {
            flush();
            AtomicFiles.writeFully(ch, ByteBuffer.wrap(md.digest()));
        }

        @Override
        public void close() {
        }
    }

    /** Bounds-checked little-endian reader over the digested part of a mapped checkpoint. */
    private static final class In {
        private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final Path file;
        private final MemorySegment s;
        private final long end;
        private long pos;

        In(Path file, MemorySegment s, long end) {
            this.file = file;
            this.s = s;
            this.end = end;
        }

        long position() {
            return pos;
        }

        long end() {
            return end;
        }

        void need(long n, String field) throws ModelFormatException {
            if (n < 0 || n > end - pos) {
                throw new ModelFormatException(file, field, pos, "needs " + n + " bytes, only " + (end - pos) + " remain");
            }
        }

        byte[] bytes(int n, String field) throws ModelFormatException {
            need(n, field);
            byte[] b = s.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            pos += n;
            return b;
        }

        int u32(String field) throws ModelFormatException {
            need(4, field);
            int v = s.get(I32, pos);
            pos += 4;
            return v;
        }

        /** A u32 used as a size: at most {@code max}. */
        int count(String field, int max) throws ModelFormatException {
            long at = pos;
            int v = u32(field);
            if (v < 0 || v > max) {
                throw new ModelFormatException(file, field, at, Integer.toUnsignedString(v) + " exceeds the limit " + max);
            }
            return v;
        }

        int u16(String field) throws ModelFormatException {
            need(2, field);
            int v = Short.toUnsignedInt(s.get(I16, pos));
            pos += 2;
            return v;
        }

        long u64(String field) throws ModelFormatException {
            need(8, field);
            long v = s.get(I64, pos);
            pos += 8;
            return v;
        }

        float f32(String field) throws ModelFormatException {
            need(4, field);
            float v = s.get(F32, pos);
            pos += 4;
            return v;
        }

        double f64(String field) throws ModelFormatException {
            need(8, field);
            double v = s.get(F64, pos);
            pos += 8;
            return v;
        }

        float[] floats(int n) {
            float[] a = new float[n];
            MemorySegment.copy(s, F32, pos, a, 0, n);
            pos += 4L * n;
            return a;
        }
    }
}
