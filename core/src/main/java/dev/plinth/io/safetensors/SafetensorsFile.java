package dev.plinth.io.safetensors;

import dev.plinth.io.MappedFiles;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One safetensors file, memory-mapped: the header (u64 little-endian length, then UTF-8 JSON) is
 * parsed and validated at open; tensor data stay in the mapping and are handed out as zero-copy
 * {@link Tensor}s, in header order. Throws {@link dev.plinth.io.ModelFormatException} for a
 * malformed file. Close to unmap.
 */
public final class SafetensorsFile implements SafetensorsModel {

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final long headerLength;
    private final Map<String, String> metadata;
    private final List<TensorInfo> infos;
    private final Map<String, TensorInfo> byName;

    private SafetensorsFile(Path path, Arena arena, MemorySegment file, SafetensorsHeaderParser.Header header) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.headerLength = header.headerLength();
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(header.metadata()));
        List<TensorInfo> list = new ArrayList<>(header.entries().size());
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        for (SafetensorsHeaderParser.Entry e : header.entries()) {
            TensorInfo info = new TensorInfo(e.name(), e.dtype().plinth, e.shape(), e.end() - e.begin(), path,
                    header.dataStart() + e.begin());
            list.add(info);
            map.put(e.name(), info);
        }
        this.infos = List.copyOf(list);
        this.byName = Collections.unmodifiableMap(map);
    }

    /** Maps and validates {@code path}. */
    public static SafetensorsFile open(Path path) throws IOException {
        return MappedFiles.open(path, (arena, seg) -> new SafetensorsFile(path, arena, seg,
                new SafetensorsHeaderParser(path, seg).parse()));
    }

    /** A file already in memory (tests); {@code arena} may be null for a heap segment. */
    static SafetensorsFile of(Path path, Arena arena, MemorySegment bytes) throws IOException {
        return new SafetensorsFile(path, arena, bytes, new SafetensorsHeaderParser(path, bytes).parse());
    }

    public Path path() {
        return path;
    }

    /** Length of the JSON header in bytes (tensor data start at 8 plus this). */
    public long headerLength() {
        return headerLength;
    }

    @Override
    public List<TensorInfo> tensorInfos() {
        return infos;
    }

    @Override
    public TensorInfo tensorInfo(String name) {
        return byName.get(name);
    }

    @Override
    public Tensor tensor(String name) {
        TensorInfo info = byName.get(name);
        return info == null ? null
                : new Tensor(info.name(), info.dtype(), info.shape(), file.asSlice(info.fileOffset(), info.byteSize()));
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
