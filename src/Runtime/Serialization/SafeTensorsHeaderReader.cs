using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using static TypedNets.Serialization.SafeTensorsHeader;
using static TypedNets.Serialization.SafeTensorsRules;

namespace TypedNets.Serialization;

/// <summary>
/// Reads and checks one safetensors header against one network (or none): the grammar of every entry, the tiling of
/// the data buffer, and the names and shapes of the network's parameters and buffers, plus the BatchNorm counters
/// (<c>num_batches_tracked</c>, I64 scalars) a file may hold and a load ignores. One instance reads one header.
/// </summary>
/// <remarks>
/// <para>
/// The header is read with <see cref="Utf8JsonReader"/> and a fixed grammar rather than into a document: every token
/// is checked where it stands, and a value of the wrong kind is refused before anything nested in it is read, so deep
/// nesting costs nothing.
/// </para>
/// <para>
/// With a network, what reading allocates is bounded by the network, not by what the header claims: names are
/// matched as UTF-8 bytes against the network's (only a name that matches nothing is decoded, and only its first
/// hundred characters, for the message), a header that lists more tensors than the network can hold is refused as soon
/// as it does, shapes are limited to <see cref="SafeTensorsRules.MaxRank"/> dimensions, and the metadata is checked (an object of strings
/// without a key twice) through one 8-byte hash per key rather than a string. Without a network (reading the
/// metadata) names and metadata are decoded, in proportion to the header. With a rename, every tensor name is decoded,
/// to be passed to it, and the header may list any number of tensors the rename skips.
/// </para>
/// <para>
/// An int8 file (see <see cref="Int8Tensors"/>) is read against the same list of tensors until it shows itself: at the
/// first I8 or U8 tensor of a parameter, or the first name ending in an int8 weight's suffix that is not the network's,
/// the parameters <c>Quantize</c> turns into int8 are worked out and their parts added to the list, so a float file
/// costs nothing more. The parts are not counted against the network's tensors (each may be claimed once), and
/// <see cref="Int8Plan.Create"/> checks them across the file once every entry is matched.
/// </para>
/// </remarks>
internal sealed class SafeTensorsHeaderReader
{
    private const int ListedNames = 8;
    private const int DisplayedBytes = 80;

    /// <summary>The target of an entry the rename maps to <see langword="null"/>: its bytes are checked and not read.</summary>
    private const int Skipped = -2;

    private readonly string? _path;
    private readonly long? _bufferLength;
    private readonly string _networkName = "";
    private readonly int _required;
    private readonly Dictionary<ulong, int> _byHash = [];
    private readonly List<int> _unhashed = [];
    private readonly HashSet<string>? _names;
    private readonly List<Entry> _entries = [];
    private readonly List<ulong> _dimensions = [];
    private readonly Func<string, string?>? _rename;
    private readonly HashSet<string>? _fileNames;
    private readonly INetwork? _network;

    // The tensors of a float file; with the parts of int8 weights appended once the file turns out to be int8.
    private StateTensor[] _tensors = [];
    private byte[][] _utf8Names = [];
    private bool[] _claimed = [];
    private string?[] _claimedBy = [];
    private byte[] _scratch = [];
    private bool _hasMetadata;
    private bool _int8;

    // The tensors the bound below counts: all but the parts of int8 weights, which a file may hold only once each.
    private int _claimable;

    // The entries that are not skipped or parts of int8 weights: a header may list no more of them than the network has tensors.
    private int _kept;

    // The metadata's typednets.quantization, or null when it has none.
    private string? _quantization;

    // The offsets of the parameters Quantize turns into int8, once the file turns out to be int8.
    private HashSet<int>? _quantizable;

    /// <summary>Prepares to read a header for <paramref name="network"/>, or for no network when it is <see langword="null"/>.</summary>
    /// <param name="network">The network whose tensors the header must list, or <see langword="null"/>.</param>
    /// <param name="bufferLength">The length of the data buffer after the header, or <see langword="null"/> when not yet known.</param>
    /// <param name="path">The file, for messages, or <see langword="null"/>.</param>
    /// <param name="rename">
    /// Maps each of the file's tensor names to the network's name it is loaded as, or to <see langword="null"/> to skip
    /// the tensor; <see langword="null"/> to match the names as they are.
    /// </param>
    public SafeTensorsHeaderReader(INetwork? network, long? bufferLength, string? path, Func<string, string?>? rename = null)
        : this(network is null ? null : NameOf(network), network is null ? null : [.. StateOf(network)], bufferLength, path)
    {
        _network = network;
        if (rename is not null && network is not null)
        {
            _rename = rename;
            _fileNames = new HashSet<string>(StringComparer.Ordinal);
            _claimedBy = new string?[_tensors.Length];
        }
    }

    /// <summary>Prepares to read a header that must list exactly <paramref name="tensors"/>, or for no tensors in particular when it is <see langword="null"/>.</summary>
    /// <param name="owner">What the tensors belong to, for messages, such as the network's name.</param>
    /// <param name="tensors">The tensors with distinct names, required ones first, or <see langword="null"/>.</param>
    /// <param name="bufferLength">The length of the data buffer after the header, or <see langword="null"/> when not yet known.</param>
    /// <param name="path">The file, for messages, or <see langword="null"/>.</param>
    public SafeTensorsHeaderReader(string? owner, StateTensor[]? tensors, long? bufferLength, string? path)
    {
        _path = path;
        _bufferLength = bufferLength;
        if (tensors is null)
        {
            _names = new HashSet<string>(StringComparer.Ordinal);
            return;
        }

        _networkName = owner ?? "";

        // Distinct names (StateOf throws otherwise): the required tensors first, then the optional counters.
        _tensors = tensors;
        _utf8Names = new byte[_tensors.Length][];
        _claimed = new bool[_tensors.Length];
        _claimable = _tensors.Length;
        for (int i = 0; i < _tensors.Length; i++)
        {
            if (_tensors[i].Required)
            {
                _required++;
            }

            Index(i);
        }
    }

    /// <summary>Reads <paramref name="header"/>, checks all of it, and returns where each tensor's bytes are.</summary>
    /// <param name="header">The header's bytes.</param>
    /// <param name="readMetadata">Whether to return the metadata's strings, rather than only check them.</param>
    public SafeTensorsLayout Read(ReadOnlySpan<byte> header, bool readMetadata)
    {
        if (!Utf8.IsValid(header))
        {
            throw Fail(null, SafeTensorsRules.NotUtf8);
        }

        if (SafeTensorsRules.FirstByteProblem(header[0]) is string firstByte)
        {
            throw Fail(null, firstByte);
        }

        IReadOnlyDictionary<string, string>? metadata = null;
        try
        {
            // Depth 3 is all the grammar needs (header object, entry object, shape array); anything deeper is refused
            // by the grammar before the reader gets there, and MaxDepth is a second guard.
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 4 });
            reader.Read();
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                if (reader.ValueTextEquals(MetadataKey))
                {
                    if (_hasMetadata)
                    {
                        throw Fail(MetadataKey, SafeTensorsRules.KeyTwice(MetadataKey));
                    }

                    _hasMetadata = true;
                    Next(ref reader);
                    metadata = ReadMetadata(ref reader, readMetadata);
                    continue;
                }

                (string name, int target, string? renamed) = ReadName(ref reader);
                Next(ref reader);
                _entries.Add(ReadEntry(ref reader, name, target) with { Renamed = renamed });
            }

            // Only whitespace may follow the object; the reader throws on anything else.
            reader.Read();
        }
        catch (JsonException exception)
        {
            throw Fail(null, $"The header is not valid JSON ({exception.Message}); the file is corrupted or not a safetensors file.", exception);
        }

        long extent = CheckTiling();
        PlannedTensor[] planned = _names is null ? Match() : [];
        Int8Plan? int8 = _network is null ? null : Int8Plan.Create(planned, _quantization, _path);
        return new SafeTensorsLayout(planned, extent, metadata ?? ReadOnlyDictionary<string, string>.Empty, int8);
    }

    /// <summary>Makes <c>_tensors[index]</c> findable by its name.</summary>
    private void Index(int index)
    {
        _utf8Names[index] = Encoding.UTF8.GetBytes(_tensors[index].Name);
        if (!_byHash.TryAdd(Hash(_utf8Names[index]), index))
        {
            _unhashed.Add(index);
        }
    }

    /// <summary>
    /// Once the file shows itself to be int8 (an I8 tensor, or a name with the suffix of an int8 weight's part), marks
    /// the parameters <c>Quantize</c> turns into int8 and adds their parts to the tensors the file may hold. A float
    /// file never gets here, so its load costs what it did before int8 files existed.
    /// </summary>
    private void EnableInt8()
    {
        if (_int8 || _network is null)
        {
            return;
        }

        _int8 = true;
        _quantizable = Int8Tensors.QuantizableOffsets(_network);
        StateTensor[] tensors = [.. StateOf(_network, int8: true)];

        // StateOf lists the float file's tensors first, in the same order, so every index so far still holds.
        int before = _tensors.Length;
        _tensors = tensors;
        Array.Resize(ref _utf8Names, tensors.Length);
        Array.Resize(ref _claimed, tensors.Length);
        if (_rename is not null)
        {
            Array.Resize(ref _claimedBy, tensors.Length);
        }

        for (int i = before; i < tensors.Length; i++)
        {
            Index(i);
        }
    }

    private static bool HasInt8Suffix(ReadOnlySpan<byte> name)
        => name.EndsWith("_scale"u8) || name.EndsWith("_input_zero_point"u8);

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        // The whole header is one final block, so the reader throws when the document ends inside a value; the check
        // keeps a false return from ever being mistaken for the previous token.
        if (!reader.Read())
        {
            throw new JsonException("The header ends inside an unclosed object or array.");
        }

        return reader.TokenType;
    }

    /// <summary>
    /// The name of the tensor whose key the reader stands on, the index of the network tensor it is loaded into (-1 for
    /// none, <see cref="Skipped"/> when the rename skips it), and the name the rename gave it when that differs.
    /// </summary>
    private (string Name, int Target, string? Renamed) ReadName(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> key = Unescaped(ref reader, "A key of the header");
        if (_names is not null)
        {
            string text = Encoding.UTF8.GetString(key);
            if (!_names.Add(text))
            {
                throw Fail(text, SafeTensorsRules.KeyTwice(text));
            }

            return (text, -1, null);
        }

        if (_rename is not null)
        {
            return ReadRenamed(key);
        }

        int target = Find(key);
        string name = target >= 0 ? _tensors[target].Name : Display(key);
        if (target >= 0 && _claimed[target])
        {
            throw Fail(name, SafeTensorsRules.KeyTwice(name));
        }

        Claim(name, null, target);
        return (name, target, null);
    }

    private (string Name, int Target, string? Renamed) ReadRenamed(ReadOnlySpan<byte> key)
    {
        string name = Encoding.UTF8.GetString(key);
        if (!_fileNames!.Add(name))
        {
            throw Fail(name, SafeTensorsRules.KeyTwice(name));
        }

        string? renamed = _rename!(name);
        if (renamed is null)
        {
            return (name, Skipped, null);
        }

        int target = Find(Encoding.UTF8.GetBytes(renamed));
        if (target >= 0 && _claimedBy[target] is string earlier)
        {
            // The file is well formed; it is the mapping that is wrong, so the exception is the caller's argument's.
            throw new ArgumentException(
                $"The rename maps both {Quote(earlier)} and {Quote(name)} of the file to {_networkName}'s {Quote(renamed)}, but each of " +
                $"{_networkName}'s tensors takes one of the file's. Map one of them to another name, or to null to skip it.",
                "rename");
        }

        string? shown = renamed == name ? null : renamed;
        Claim(name, shown, target);
        if (target >= 0)
        {
            _claimedBy[target] = name;
        }

        return (name, target, shown);
    }

    /// <summary>Counts an entry that is not skipped, refusing it when the network has no tensor left for it.</summary>
    private void Claim(string name, string? renamed, int target)
    {
        if (target >= 0 && _tensors[target].IsInt8Part)
        {
            // Each part is claimed once (a second time is a key twice), so parts cannot make a header grow unbounded.
            _claimed[target] = true;
            return;
        }

        if (_kept == _claimable)
        {
            // The targets are distinct, so among one more than the network has, at least one is not the network's.
            var unexpected = new List<string>();
            string? first = null;
            foreach (Entry entry in _entries)
            {
                if (entry.Target == -1)
                {
                    first ??= entry.Name;
                    unexpected.Add(Shown(entry.Name, entry.Renamed));
                }
            }

            if (target < 0)
            {
                first ??= name;
                unexpected.Add(Shown(name, renamed));
            }

            string optional = _claimable == _required ? "" : $" and the {_claimable - _required} it may also hold ({OptionalNames()})";
            throw Fail(
                first,
                $"The file's tensors are not {_networkName}'s: it holds more than the {_required} tensors {_networkName} has{optional}, among them " +
                $"{List(unexpected, static shown => shown)}, which {_networkName} does not have. {Advice()}");
        }

        if (target >= 0)
        {
            _claimed[target] = true;
        }

        _kept++;
    }

    /// <summary>A file's tensor name for a message, with the name the rename gave it when that differs.</summary>
    private static string Shown(string name, string? renamed) => renamed is null ? Quote(name) : $"{Quote(name)} (renamed {Quote(renamed)})";

    /// <summary>What to do when the file's tensors are not the network's.</summary>
    private string Advice() => _rename is null
        ? $"Load a file saved from a {_networkName}, whose tensors are {NetworkNames()}."
        : $"Check the rename: after it the file must hold each of {_networkName}'s tensors once, and they are {NetworkNames()}; " +
          "map a tensor the network does not have to null to skip it.";

    private int Find(ReadOnlySpan<byte> key)
    {
        int found = FindKnown(key);
        if (found < 0 && !_int8 && _network is not null && HasInt8Suffix(key))
        {
            EnableInt8();
            found = FindKnown(key);
        }

        return found;
    }

    private int FindKnown(ReadOnlySpan<byte> key)
    {
        if (_byHash.TryGetValue(Hash(key), out int index) && key.SequenceEqual(_utf8Names[index]))
        {
            return index;
        }

        foreach (int other in _unhashed)
        {
            if (key.SequenceEqual(_utf8Names[other]))
            {
                return other;
            }
        }

        return -1;
    }

    /// <summary>A name that is not the network's, decoded for a message: whole when short, else its start and its length.</summary>
    private static string Display(ReadOnlySpan<byte> name)
    {
        if (name.Length <= DisplayedBytes)
        {
            return Encoding.UTF8.GetString(name);
        }

        int cut = DisplayedBytes;
        while (cut > 0 && (name[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        return $"{Encoding.UTF8.GetString(name[..cut])}...[{name.Length} bytes]";
    }

    private IReadOnlyDictionary<string, string>? ReadMetadata(ref Utf8JsonReader reader, bool materialize)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Fail(null, $"{MetadataKey} is {Describe(reader.TokenType)}, but it must be an object mapping strings to strings.");
        }

        // First pass: the structure, every string decodable, and the number of keys.
        Utf8JsonReader start = reader;
        int count = 0;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            Utf8JsonReader key = reader;
            bool quantization = reader.ValueTextEquals("typednets.quantization"u8);
            Unescaped(ref reader, $"A key of {MetadataKey}");
            if (Next(ref reader) != JsonTokenType.String)
            {
                throw Fail(null, $"{MetadataKey} maps {Quote(key.GetString()!)} to {Describe(reader.TokenType)}, but metadata values must be strings.");
            }

            ReadOnlySpan<byte> value = Unescaped(ref reader, $"A value of {MetadataKey}");
            if (quantization)
            {
                // The one metadata value a load acts on; the two it knows cost no string.
                _quantization = value.SequenceEqual("int8-dynamic"u8) ? Int8Tensors.Dynamic
                    : value.SequenceEqual("int8-static"u8) ? Int8Tensors.Static
                    : Display(value);
            }

            count++;
        }

        // Second pass: no key twice, through a randomly seeded 64-bit hash of each key's text rather than a string per
        // key, so that a header of many tiny keys costs 8 bytes a key; equal hashes are then compared in full.
        Utf8JsonReader scan = start;
        ulong[] hashes = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            Next(ref scan);
            hashes[i] = Hash(Unescaped(ref scan, $"A key of {MetadataKey}"));
            Next(ref scan);
        }

        Array.Sort(hashes);
        for (int i = 1; i < count; i++)
        {
            if (hashes[i] == hashes[i - 1])
            {
                ThrowIfDuplicateKey(start, count, hashes[i]);
            }
        }

        if (!materialize)
        {
            return null;
        }

        var metadata = new Dictionary<string, string>(count, StringComparer.Ordinal);
        scan = start;
        for (int i = 0; i < count; i++)
        {
            Next(ref scan);
            string key = scan.GetString()!;
            Next(ref scan);
            metadata.Add(key, scan.GetString()!);
        }

        return metadata;
    }

    /// <summary>Throws if two keys of the metadata object at <paramref name="start"/> with hash <paramref name="hash"/> are equal.</summary>
    private void ThrowIfDuplicateKey(Utf8JsonReader start, int count, ulong hash)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            Next(ref start);
            if (Hash(Unescaped(ref start, $"A key of {MetadataKey}")) == hash && !keys.Add(start.GetString()!))
            {
                throw Fail(null, SafeTensorsRules.MetadataKeyTwice(start.GetString()!));
            }

            Next(ref start);
        }
    }

    /// <summary>The current string token's text as UTF-8, unescaped into the scratch buffer when it has escapes.</summary>
    private ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader, string what)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        // Unescaping never lengthens the text; the buffer doubles, so its growth costs at most twice the longest string.
        if (_scratch.Length < reader.ValueSpan.Length)
        {
            _scratch = new byte[Math.Max(reader.ValueSpan.Length, 2 * _scratch.Length)];
        }

        try
        {
            return _scratch.AsSpan(0, reader.CopyString(_scratch));
        }
        catch (InvalidOperationException exception)
        {
            // An escape such as "\ud800" that decodes to half a surrogate pair: valid JSON syntax, but not text.
            throw Fail(null, $"{what} holds an escape that is not valid UTF-16 text (a lone surrogate such as \\ud800); the header is corrupted.", exception);
        }
    }

    private static ulong Hash(ReadOnlySpan<byte> text)
    {
        // HashCode is seeded per process, so no file can be crafted to make many keys collide.
        var low = default(HashCode);
        low.Add(1);
        low.AddBytes(text);
        var high = default(HashCode);
        high.Add(2);
        high.AddBytes(text);
        return ((ulong)(uint)high.ToHashCode() << 32) | (uint)low.ToHashCode();
    }

    private Entry ReadEntry(ref Utf8JsonReader reader, string name, int target)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Fail(name, $"Tensor {Quote(name)} is {Describe(reader.TokenType)} in the header, but each tensor must be an object with dtype, shape and data_offsets.");
        }

        SafeTensorsDtype dtype = default;
        bool hasDtype = false;
        ulong[]? shape = null;
        ulong begin = 0, end = 0;
        bool hasOffsets = false;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("dtype"u8))
            {
                ThrowIfSeen(hasDtype, name, "dtype");
                if (Next(ref reader) != JsonTokenType.String)
                {
                    throw Fail(name, $"Tensor {Quote(name)} has a dtype that is {Describe(reader.TokenType)}, but it must be a string such as \"F32\".");
                }

                dtype = ReadDtype(ref reader, name);
                CheckDtype(dtype, name, target);
                hasDtype = true;
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                ThrowIfSeen(shape is not null, name, "shape");
                if (Next(ref reader) != JsonTokenType.StartArray)
                {
                    throw Fail(name, $"Tensor {Quote(name)} has a shape that is {Describe(reader.TokenType)}, but it must be an array of non-negative integers such as [5, 4].");
                }

                _dimensions.Clear();
                while (Next(ref reader) != JsonTokenType.EndArray)
                {
                    if (_dimensions.Count == SafeTensorsRules.MaxRank)
                    {
                        throw Fail(name, SafeTensorsRules.TooManyDimensions(name));
                    }

                    _dimensions.Add(ReadUnsigned(ref reader, name, $"dimension {_dimensions.Count} of its shape"));
                }

                shape = [.. _dimensions];
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                ThrowIfSeen(hasOffsets, name, "data_offsets");
                if (Next(ref reader) != JsonTokenType.StartArray)
                {
                    throw Fail(name, $"Tensor {Quote(name)} has data_offsets that are {Describe(reader.TokenType)}, but they must be an array [begin, end] of two non-negative integers.");
                }

                if (Next(ref reader) == JsonTokenType.EndArray)
                {
                    throw Fail(name, $"Tensor {Quote(name)} has data_offsets [], but they must be [begin, end], two byte offsets into the data buffer.");
                }

                begin = ReadUnsigned(ref reader, name, "the begin of its data_offsets");
                if (Next(ref reader) == JsonTokenType.EndArray)
                {
                    throw Fail(name, $"Tensor {Quote(name)} has data_offsets [{begin}], one number, but they must be [begin, end], two byte offsets into the data buffer.");
                }

                end = ReadUnsigned(ref reader, name, "the end of its data_offsets");
                if (Next(ref reader) != JsonTokenType.EndArray)
                {
                    throw Fail(name, $"Tensor {Quote(name)} has more than two data_offsets, but they must be [begin, end], two byte offsets into the data buffer.");
                }

                hasOffsets = true;
            }
            else
            {
                string field = Display(Unescaped(ref reader, $"A field of tensor {Quote(name)}"));
                throw Fail(name, SafeTensorsRules.UnknownField(name, field));
            }
        }

        string? missing = !hasDtype ? "dtype" : shape is null ? "shape" : !hasOffsets ? "data_offsets" : null;
        if (missing is not null)
        {
            throw Fail(name, SafeTensorsRules.MissingField(name, missing));
        }

        if (dtype == SafeTensorsDtype.I64 && shape!.Length != 0 && target != Skipped)
        {
            // Only a counter may be I64 (CheckCounterDtype), and PyTorch's counter is a scalar.
            throw Fail(
                name,
                $"Tensor {Quote(name)} has shape {Format(shape)}, but as I64 it can only be PyTorch's BatchNorm counter num_batches_tracked, " +
                "a scalar of shape [], which TypedNets checks and ignores.");
        }

        if (SafeTensorsRules.EntryProblem(name, dtype.ToString(), SizeOf(dtype), shape!, begin, end, _bufferLength) is string problem)
        {
            throw Fail(name, problem);
        }

        return new Entry(name, target, dtype, shape!, (long)begin, (long)end);
    }

    private void ThrowIfSeen(bool seen, string name, string field)
    {
        if (seen)
        {
            throw Fail(name, SafeTensorsRules.FieldTwice(name, field));
        }
    }

    /// <summary>
    /// Whether the entry named <paramref name="name"/> (the network tensor <paramref name="target"/>, or -1) is where
    /// a file may hold PyTorch's BatchNorm counter: with a network, <c>&lt;module&gt;.num_batches_tracked</c> of one of
    /// its BatchNorm layers; without one (checking a file alone), any name ending in <c>.num_batches_tracked</c>.
    /// </summary>
    private bool IsCounter(string name, int target)
        => _names is not null ? name.EndsWith(CounterSuffix, StringComparison.Ordinal) : target >= 0 && _tensors[target].Kind == StateKind.Ignored;

    /// <summary>
    /// Refuses I64 anywhere but at a counter, and at a counter of the network anything but I64; I8 anywhere but at a
    /// weight <c>Quantize</c> turns into int8; U8 anywhere but at an int8 weight's input zero point; and at the other
    /// parts of an int8 weight anything but F32. A file read alone may hold I8 and U8 under any name.
    /// </summary>
    private void CheckDtype(SafeTensorsDtype dtype, string name, int target)
    {
        if (target == Skipped)
        {
            // Not loaded, so any dtype TypedNets can size will do (PyTorch's position_ids are I64, for one).
            return;
        }

        // The parts of an int8 weight have one dtype each; a name that is not the network's is refused by name once
        // the header is read.
        bool part = _names is null && target >= 0 && _tensors[target].IsInt8Part;
        bool counter = IsCounter(name, target);
        if (dtype == SafeTensorsDtype.I64 && !counter && !part)
        {
            throw Unsupported(name, "I64");
        }

        if (counter && _names is null && dtype != SafeTensorsDtype.I64)
        {
            throw Fail(
                name,
                $"Tensor {Quote(name)} has dtype {dtype}, but {_networkName} can only hold it as PyTorch's BatchNorm counter, an I64 scalar " +
                "(shape []) that TypedNets checks and ignores; save num_batches_tracked as PyTorch has it, or leave it out.");
        }

        // A file alone is not matched against a network.
        if (_names is not null || target < 0)
        {
            return;
        }

        if (dtype is SafeTensorsDtype.I8 or SafeTensorsDtype.U8 && _tensors[target].Kind == StateKind.Parameter)
        {
            // Which parameters may be int8 is worked out only for a file that has such a tensor.
            EnableInt8();
        }

        StateTensor tensor = _tensors[target];
        bool quantizable = tensor.Kind == StateKind.Parameter && _quantizable?.Contains(tensor.Offset) == true;
        string? problem = tensor.Kind switch
        {
            StateKind.Int8Scale when dtype != SafeTensorsDtype.F32 => "the scales of an int8 weight are F32, one per row",
            StateKind.Int8InputScale when dtype != SafeTensorsDtype.F32 => "the input scale of an int8 weight is F32",
            StateKind.Int8InputZeroPoint when dtype != SafeTensorsDtype.U8 => "the input zero point of an int8 weight is U8 (a code in [0, 255])",
            StateKind.Int8Scale or StateKind.Int8InputScale or StateKind.Int8InputZeroPoint => null,
            _ when dtype == SafeTensorsDtype.U8 =>
                $"{_networkName}'s {tensor.Name} is a float tensor (F32, F16 or BF16){(quantizable ? " or, quantised, int8 codes (I8)" : "")}",
            _ when dtype == SafeTensorsDtype.I8 && _network is null => $"{_networkName}'s {tensor.Name} is a float tensor (F32, F16 or BF16)",
            _ when dtype == SafeTensorsDtype.I8 && !quantizable =>
                "Quantize keeps it float: int8 codes are for the weights of Dense, Conv2D, LSTM and GRU layers (not a Dense tied to an embedding, " +
                "nor a grouped Conv2D); save it as F32",
            _ => null,
        };
        if (problem is not null)
        {
            throw Fail(name, $"Tensor {Quote(name)} has dtype {dtype}, but {problem}.");
        }
    }

    private SafeTensorsFormatException Unsupported(string name, string dtype)
        => Fail(
            name,
            $"Tensor {Quote(name)} has dtype {dtype}, which TypedNets does not load; it loads F32, F16 and BF16 " +
            "(and I64 only as PyTorch's BatchNorm counter num_batches_tracked, which it ignores; I8 and U8 only as an int8 weight's codes and input zero point). " +
            "Convert the tensor before saving (in PyTorch, tensor.float()).");

    private SafeTensorsDtype ReadDtype(ref Utf8JsonReader reader, string name)
    {
        if (reader.ValueTextEquals("F32"u8))
        {
            return SafeTensorsDtype.F32;
        }

        if (reader.ValueTextEquals("F16"u8))
        {
            return SafeTensorsDtype.F16;
        }

        if (reader.ValueTextEquals("BF16"u8))
        {
            return SafeTensorsDtype.BF16;
        }

        if (reader.ValueTextEquals("I64"u8))
        {
            return SafeTensorsDtype.I64;
        }

        if (reader.ValueTextEquals("I8"u8))
        {
            return SafeTensorsDtype.I8;
        }

        if (reader.ValueTextEquals("U8"u8))
        {
            return SafeTensorsDtype.U8;
        }

        string text = Display(Unescaped(ref reader, $"The dtype of tensor {Quote(name)}"));
        throw SafeTensorsRules.IsDtype(text) ? Unsupported(name, text) : Fail(name, SafeTensorsRules.UnknownDtype(name, text, "F32, F16 and BF16"));
    }

    private ulong ReadUnsigned(ref Utf8JsonReader reader, string name, string what)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw Fail(name, $"Tensor {Quote(name)} has {what} {Describe(reader.TokenType)}, but it must be a non-negative integer.");
        }

        // Numbers are never escaped, so the raw bytes are the literal; JSON forbids leading zeros and '+'.
        ReadOnlySpan<byte> literal = reader.ValueSpan;
        ulong value = 0;
        foreach (byte digit in literal)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                string problem = literal[0] == (byte)'-' ? "negative" : "not a whole number written without a fraction or exponent";
                throw Fail(name, $"Tensor {Quote(name)} has {what} {Literal(literal)}, which is {problem}; it must be a non-negative integer.");
            }

            uint next = (uint)(digit - '0');
            if (value > (ulong.MaxValue - next) / 10)
            {
                throw Fail(name, $"Tensor {Quote(name)} has {what} {Literal(literal)}, which does not fit 64 bits; the header is corrupted.");
            }

            value = (value * 10) + next;
        }

        return value;
    }

    private long CheckTiling()
    {
        if (SafeTensorsRules.TilingProblem(_entries, static entry => new TensorExtent(entry.Name, entry.Begin, entry.End), _bufferLength, out string? tensor, out long extent) is string problem)
        {
            throw Fail(tensor, problem);
        }

        return extent;
    }

    private PlannedTensor[] Match()
    {
        var missing = new List<string>();
        for (int i = 0; i < _tensors.Length; i++)
        {
            if (!_claimed[i] && _tensors[i].Required)
            {
                missing.Add(_tensors[i].Name);
            }
        }

        var unexpected = new List<string>();
        string? firstUnexpected = null;
        foreach (Entry entry in _entries)
        {
            if (entry.Target == -1)
            {
                firstUnexpected ??= entry.Name;
                unexpected.Add(Shown(entry.Name, entry.Renamed));
            }
        }

        if (missing.Count > 0 || unexpected.Count > 0)
        {
            var message = new StringBuilder(_rename is null ? $"The file's tensors are not {_networkName}'s:" : $"The file's tensors, renamed, are not {_networkName}'s:");
            if (missing.Count > 0)
            {
                message.Append(CultureInfo.InvariantCulture, $" it lacks {List(missing, name => $"{Quote(name)} {Format(_tensors[Array.FindIndex(_tensors, tensor => tensor.Name == name)].Shape)}")}");
            }

            if (unexpected.Count > 0)
            {
                message.Append(missing.Count > 0 ? ", and" : "")
                    .Append(CultureInfo.InvariantCulture, $" it holds {List(unexpected, static shown => shown)}, which {_networkName} does not have");
            }

            message.Append(". ").Append(Advice());
            throw Fail(missing.Count > 0 ? missing[0] : firstUnexpected, message.ToString());
        }

        var planned = new PlannedTensor[_entries.Count];
        for (int i = 0; i < _entries.Count; i++)
        {
            Entry entry = _entries[i];
            if (entry.Target == Skipped)
            {
                planned[i] = new PlannedTensor(entry.Dtype, entry.Begin, entry.End, new StateTensor(entry.Name, [], StateKind.Ignored, 0, 1));
                continue;
            }

            StateTensor target = _tensors[entry.Target];
            string tensor = entry.Renamed is null ? Quote(entry.Name) : $"{Quote(entry.Name)}, loaded as {Quote(entry.Renamed)},";

            // The counter's dtype and shape were checked as it was read.
            if (target.Kind == StateKind.Alias && !SameShape(entry.Shape, target.Shape))
            {
                throw Fail(
                    entry.Name,
                    $"Tensor {tensor} has shape {Format(entry.Shape)} in the file, but {_networkName}'s {target.Name} is tied to " +
                    $"{Quote(TableOf(target))} {Format(target.Shape)}: PyTorch lists a tied weight under both names, so both must have the table's shape. " +
                    $"Load a file saved from a {_networkName}, or leave {Quote(entry.Name)} out of it (or rename it to null).");
            }

            if (target.IsInt8Part && !SameShape(entry.Shape, target.Shape))
            {
                string weight = Quote(Int8Tensors.WeightOf(target));
                throw Fail(
                    entry.Name,
                    target.Kind == StateKind.Int8Scale
                        ? $"Tensor {tensor} has shape {Format(entry.Shape)}, but it holds the scales of the int8 weight {weight}, one per row of the " +
                          $"{target.Shape[0]} of {weight}: F32 {Format(target.Shape)}; the file was saved from a network with other layer sizes, or is corrupted."
                        : $"Tensor {tensor} has shape {Format(entry.Shape)}, but {Int8Tensors.Describe(target.Kind)} of the int8 weight {weight} is a scalar, " +
                          $"{target.Dtype} [] (a 0-d tensor, as PyTorch's quantised modules save theirs).");
            }

            if (target.Required && !SameShape(entry.Shape, target.Shape))
            {
                throw Fail(
                    entry.Name,
                    $"Tensor {tensor} has shape {Format(entry.Shape)} in the file, but {_networkName}'s {target.Name} is {Format(target.Shape)}; " +
                    "the file was saved from a network with other layer sizes.");
            }

            planned[i] = new PlannedTensor(entry.Dtype, entry.Begin, entry.End, target);
        }

        return planned;
    }

    /// <summary>The name of the parameter a tied weight's alias shares its values with.</summary>
    private string TableOf(StateTensor alias)
        => Array.Find(_tensors, tensor => tensor.Kind == StateKind.Parameter && tensor.Offset == alias.Offset)?.Name ?? alias.Name;

    private static bool SameShape(ulong[] file, ReadOnlySpan<int> network)
    {
        if (file.Length != network.Length)
        {
            return false;
        }

        for (int i = 0; i < file.Length; i++)
        {
            if (file[i] != (ulong)network[i])
            {
                return false;
            }
        }

        return true;
    }

    private string NetworkNames() => Names(required: true);

    private string OptionalNames() => Names(required: false);

    private string Names(bool required)
    {
        var names = new List<string>(_tensors.Length);
        foreach (StateTensor tensor in _tensors)
        {
            if (tensor.Required == required && !tensor.IsInt8Part)
            {
                names.Add(tensor.Name);
            }
        }

        return List(names, Quote);
    }

    private static string List(List<string> names, Func<string, string> show)
    {
        var text = new StringBuilder();
        for (int i = 0; i < Math.Min(names.Count, ListedNames); i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(show(names[i]));
        }

        return names.Count > ListedNames ? text.Append(CultureInfo.InvariantCulture, $" and {names.Count - ListedNames} more").ToString() : text.ToString();
    }

    private SafeTensorsFormatException Fail(string? tensor, string message, Exception? inner = null) => Error(_path, tensor, message, inner);

    private static string Literal(ReadOnlySpan<byte> literal)
        => literal.Length <= 40 ? Encoding.UTF8.GetString(literal) : $"{Encoding.UTF8.GetString(literal[..40])}... ({literal.Length} characters)";

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>A tensor entry as the header states it, after its own checks and before the checks across entries.</summary>
    /// <param name="Name">The file's name, exactly when it is the network's or there is a rename, else shortened for messages.</param>
    /// <param name="Target">The index of the network tensor it is loaded into, -1 for none, or <see cref="Skipped"/>.</param>
    /// <param name="Dtype">The element type.</param>
    /// <param name="Shape">The shape.</param>
    /// <param name="Begin">The first byte in the data buffer.</param>
    /// <param name="End">One past the last byte in the data buffer.</param>
    /// <param name="Renamed">The network's name the rename gave it, when that is not <paramref name="Name"/>.</param>
    private readonly record struct Entry(string Name, int Target, SafeTensorsDtype Dtype, ulong[] Shape, long Begin, long End, string? Renamed = null);
}
