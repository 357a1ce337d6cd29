package dev.plinth.io.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.plinth.io.ModelFormatException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates a safetensors header, trusting nothing: the header length is checked
 * against the file before anything is read, the JSON must be valid UTF-8 with the exact field
 * types of the format, and the tensors' data must tile the data section exactly (no gap, no
 * overlap, each span exactly dtype size times the element count).
 */
final class SafetensorsHeaderParser {

    /** Hugging Face refuses headers over 100 MB; so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final int MAX_RANK = 64;
    static final String METADATA_KEY = "__metadata__";

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16).maxNumberLength(40).build())
            .build();

    /** One tensor as declared; {@code begin}/{@code end} are relative to the data section. */
    record Entry(String name, StDType dtype, long[] shape, long begin, long end, long headerOffset) {
    }

    record Header(long headerLength, Map<String, String> metadata, List<Entry> entries) {
        long dataStart() {
            return 8 + headerLength;
        }
    }

    private final Path path;
    private final MemorySegment file;
    private JsonParser parser;

    SafetensorsHeaderParser(Path path, MemorySegment file) {
        this.path = path;
        this.file = file;
    }

    Header parse() throws ModelFormatException {
        long size = file.byteSize();
        if (size < 8) {
            throw fail("header length", 0, "file is " + size + " bytes, too short for the 8-byte header length");
        }
        long n = file.get(LONG_LE, 0);
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw fail("header length", 0, "header length " + Long.toUnsignedString(n)
                    + " is out of range (2.." + MAX_HEADER_BYTES + " bytes); not a safetensors file?");
        }
        if (n > size - 8) {
            throw fail("header length", 0, "header length " + n + " runs past the end of the " + size
                    + "-byte file; the file may be truncated");
        }
        byte[] json = file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        checkUtf8(json);
        Header header;
        try (JsonParser p = JSON.createParser(json)) {
            parser = p;
            header = parseJson(n);
        } catch (ModelFormatException e) {
            throw e;
        } catch (JsonProcessingException e) {
            throw fail(null, jsonOffset(e.getLocation()), "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw fail(null, 8, "cannot parse header: " + e.getMessage(), e);
        }
        checkDataLayout(header, size - 8 - n);
        return header;
    }

    private void checkUtf8(byte[] json) throws ModelFormatException {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(json);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = dec.decode(in, out, true);
            if (r.isError()) {
                throw fail(null, 8 + in.position(), "header is not valid UTF-8");
            }
            if (r.isUnderflow()) {
                return;
            }
            out.clear();
        }
    }

    private Header parseJson(long headerLength) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            throw fail(null, here(), "header must be a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        JsonToken t;
        while ((t = parser.nextToken()) == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            long at = here();
            if (!names.add(name)) {
                throw fail(name, at, "duplicate key '" + name + "'");
            }
            parser.nextToken();
            if (name.equals(METADATA_KEY)) {
                parseMetadata(metadata);
            } else {
                entries.add(parseEntry(name, at));
            }
        }
        if (t != JsonToken.END_OBJECT) {
            throw fail(null, here(), "unexpected " + t + " in header object");
        }
        if (parser.nextToken() != null) {
            throw fail(null, here(), "unexpected data after the header object (only space padding may follow)");
        }
        return new Header(headerLength, metadata, entries);
    }

    private void parseMetadata(Map<String, String> metadata) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw fail(METADATA_KEY, here(), "must be an object of strings, was " + parser.currentToken());
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            if (parser.nextToken() != JsonToken.VALUE_STRING) {
                throw fail(METADATA_KEY + "." + key, here(), "value must be a string, was " + parser.currentToken());
            }
            if (metadata.put(key, parser.getText()) != null) {
                throw fail(METADATA_KEY + "." + key, here(), "duplicate key");
            }
        }
    }

    private Entry parseEntry(String name, long at) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw fail(name, here(), "tensor entry must be an object, was " + parser.currentToken());
        }
        StDType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            parser.nextToken();
            switch (field) {
                case "dtype" -> dtype = parseDtype(name);
                case "shape" -> shape = parseLongs(name + ".shape", MAX_RANK);
                case "data_offsets" -> {
                    offsets = parseLongs(name + ".data_offsets", 2);
                    if (offsets.length != 2) {
                        throw fail(name + ".data_offsets", here(), "must hold exactly two numbers [begin, end]");
                    }
                }
                default -> parser.skipChildren(); // unknown fields are ignored, as Hugging Face does
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw fail(name + "." + missing, at, "tensor entry lacks '" + missing + "'");
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1], at);
    }

    private StDType parseDtype(String name) throws IOException {
        if (parser.currentToken() != JsonToken.VALUE_STRING) {
            throw fail(name + ".dtype", here(), "must be a string, was " + parser.currentToken());
        }
        String s = parser.getText();
        StDType dt = StDType.byName(s);
        if (dt == null || dt.plinth == null) {
            throw fail(name + ".dtype", here(), (dt == null ? "unknown" : "unsupported") + " dtype '" + s
                    + "'; Plinth reads safetensors dtypes " + StDType.supportedNames());
        }
        return dt;
    }

    private long[] parseLongs(String field, int max) throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw fail(field, here(), "must be an array of non-negative integers, was " + parser.currentToken());
        }
        List<Long> values = new ArrayList<>();
        JsonToken t;
        while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw fail(field, here(), "must hold non-negative integers, found " + t);
            }
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER || parser.getLongValue() < 0) {
                throw fail(field, here(), "value " + parser.getText() + " is out of range (0.." + Long.MAX_VALUE + ")");
            }
            if (values.size() == max) {
                throw fail(field, here(), "holds more than " + max + " numbers");
            }
            values.add(parser.getLongValue());
        }
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private void checkDataLayout(Header header, long dataBytes) throws ModelFormatException {
        List<Entry> sorted = new ArrayList<>(header.entries());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry e : sorted) {
            String field = e.name() + ".data_offsets";
            if (e.end() < e.begin()) {
                throw fail(field, e.headerOffset(), "end " + e.end() + " is before begin " + e.begin());
            }
            if (e.end() > dataBytes) {
                throw fail(field, e.headerOffset(), "data [" + e.begin() + ", " + e.end() + ") run past the end of the "
                        + dataBytes + "-byte data section; the file may be truncated");
            }
            if (e.begin() < expected) {
                throw fail(field, e.headerOffset(), "data overlap tensor '" + previous + "'");
            }
            if (e.begin() > expected) {
                throw fail(field, e.headerOffset(), "gap of " + (e.begin() - expected) + " bytes before this tensor"
                        + (previous == null ? "" : " (after '" + previous + "')"));
            }
            long need = byteSize(e);
            if (need != e.end() - e.begin()) {
                throw fail(field, e.headerOffset(), "data span " + (e.end() - e.begin()) + " bytes but " + e.dtype()
                        + " " + java.util.Arrays.toString(e.shape()) + " needs " + (need < 0 ? "more than 2^63" : need));
            }
            expected = e.end();
            previous = e.name();
        }
        if (expected != dataBytes) {
            throw fail("data_offsets", header.dataStart() + expected, (dataBytes - expected)
                    + " bytes after the last tensor are not described by the header");
        }
    }

    /** dtype size times element count, or -1 on overflow. */
    static long byteSize(Entry e) {
        long n = e.dtype().size;
        for (long d : e.shape()) {
            if (d != 0 && n > Long.MAX_VALUE / d) {
                return -1;
            }
            n *= d;
        }
        return n;
    }

    private long here() {
        return jsonOffset(parser.currentTokenLocation());
    }

    private static long jsonOffset(JsonLocation loc) {
        return loc == null || loc.getByteOffset() < 0 ? -1 : 8 + loc.getByteOffset();
    }

    private ModelFormatException fail(String field, long offset, String problem) {
        return new ModelFormatException(path, field, offset, problem);
    }

    private ModelFormatException fail(String field, long offset, String problem, Throwable cause) {
        return new ModelFormatException(path, field, offset, problem, cause);
    }
}
