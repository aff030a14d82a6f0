using System.Collections.Generic;

namespace TypedNets.Serialization;

/// <summary>
/// The Python functions a <c>model.py</c> may need besides PyTorch's own layers, each written once here and copied into
/// the files that use it: the safetensors reader, and the computations TypedNets does that PyTorch has no module for
/// (its padding mask in recurrent layers and poolings, GPT-2's fused self-attention, BatchNorm without a batch counter).
/// </summary>
internal static class TorchExportPython
{
    /// <summary>
    /// Debian's PyTorch comes without the <c>safetensors</c> package, so every file carries this reader and writer of the
    /// format (an 8-byte little-endian header length, a JSON header, the raw little-endian data) for the F32 tensors
    /// TypedNets reads and writes: the weights go in, and, trained elsewhere, come back.
    /// </summary>
    public const string Files = """"
        def load_safetensors(path):
            """Reads a safetensors file of F32 tensors (as TypedNets writes) into a dict of tensors, with torch alone."""
            with open(path, "rb") as file:
                (header_length,) = struct.unpack("<Q", file.read(8))
                header = json.loads(file.read(header_length))
                data = file.read()
            tensors = {}
            for name, entry in header.items():
                if name == "__metadata__":
                    continue
                if entry["dtype"] != "F32":
                    raise ValueError(
                        f"{path}: tensor {name!r} is {entry['dtype']}; this reader takes the F32 tensors TypedNets writes "
                        "(an int8-quantised network is not exported)."
                    )
                start, end = entry["data_offsets"]
                values = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32)
                tensors[name] = values.reshape(entry["shape"])
            return tensors


        def save_safetensors(path, tensors):
            """Writes a dict of float32 tensors as a safetensors file (what SafeTensors.Load and [EmbeddedWeights] read), under a
            temporary name renamed into place, so that an interrupted save leaves the file as it was."""
            header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
            for name, tensor in tensors.items():
                if tensor.dtype != torch.float32:
                    raise ValueError(f"{path}: tensor {name!r} is {tensor.dtype}; TypedNets' weights are float32")
                data = tensor.detach().contiguous().cpu().numpy().astype("<f4").tobytes()
                header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
                blobs.append(data)
                offset += len(data)
            text = json.dumps(header, separators=(",", ":")).encode("utf-8")
            text += b" " * (-len(text) % 8)
            partial = path + ".partial"
            with open(partial, "wb") as file:
                file.write(struct.pack("<Q", len(text)))
                file.write(text)
                for blob in blobs:
                    file.write(blob)
            os.replace(partial, path)
        """";

    /// <summary>
    /// PyTorch's BatchNorm without <c>num_batches_tracked</c>, which TypedNets does not keep: its momentum is always set,
    /// so the counter is never read, and without it the state_dict is TypedNets'.
    /// </summary>
    private static string BatchNorm(string dimensions) => $$""""
        class BatchNorm{{dimensions}}(nn.BatchNorm{{dimensions}}):
            """nn.BatchNorm{{dimensions}} without num_batches_tracked, which TypedNets does not keep (the momentum is always set, so the
            counter is never read): the state_dict holds TypedNets' names only."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.register_buffer("num_batches_tracked", None)

            def _load_from_state_dict(self, state_dict, prefix, *args):
                # nn.BatchNorm adds a num_batches_tracked entry to a state_dict without version metadata, as a file's is.
                nn.Module._load_from_state_dict(self, state_dict, prefix, *args)
        """";

    /// <summary>The helpers by name, as <see cref="TorchModuleWriter"/> asks for them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Helpers = new Dictionary<string, string>
    {
        ["batch_norm_1d"] = BatchNorm("1d"),
        ["batch_norm_2d"] = BatchNorm("2d"),
        ["recurrent"] = """"
            def _recurrent(rnn, x, mask, return_sequences):
                """nn.LSTM / nn.GRU (batch_first) as TypedNets runs it: every step's states, or the last layer's final state, both
                directions side by side (the reverse direction's after the first step); with a padding mask, see _masked_recurrent."""
                if mask is not None:
                    return _masked_recurrent(rnn, x, mask, return_sequences)
                output, state = rnn(x)
                if return_sequences:
                    return output
                h = state[0] if isinstance(rnn, nn.LSTM) else state
                return torch.cat([h[-2], h[-1]], dim=1) if rnn.bidirectional else h[-1]
            """",
        ["masked_recurrent"] = """"
            def _masked_recurrent(rnn, x, mask, return_sequences):
                """A padded step (mask False) keeps the state before it (zero at the first step) and outputs zeros, as TypedNets
                and Keras run a masked sequence; the reverse direction runs on the sequence and mask reversed in time. PyTorch's
                packed sequences cannot skip steps in the middle, so the steps are computed here from nn.LSTM / nn.GRU's own
                parameters, with PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n)."""
                lstm = isinstance(rnn, nn.LSTM)
                keep = mask.unsqueeze(-1)
                directions = 2 if rnn.bidirectional else 1
                layer_input = x
                for k in range(rnn.num_layers):
                    outputs, finals = [], []
                    for d in range(directions):
                        suffix = f"_l{k}" + ("_reverse" if d == 1 else "")
                        w_ih, w_hh = getattr(rnn, "weight_ih" + suffix), getattr(rnn, "weight_hh" + suffix)
                        b_ih, b_hh = getattr(rnn, "bias_ih" + suffix), getattr(rnn, "bias_hh" + suffix)
                        sequence = layer_input.flip(1) if d == 1 else layer_input
                        kept = keep.flip(1) if d == 1 else keep
                        h = x.new_zeros(x.shape[0], rnn.hidden_size)
                        c = torch.zeros_like(h)
                        steps = []
                        for t in range(sequence.shape[1]):
                            gates_x = F.linear(sequence[:, t], w_ih, b_ih)
                            gates_h = F.linear(h, w_hh, b_hh)
                            if lstm:
                                i, f, g, o = (gates_x + gates_h).chunk(4, dim=1)
                                c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                                h_new = torch.sigmoid(o) * torch.tanh(c_new)
                                c = torch.where(kept[:, t], c_new, c)
                            else:
                                x_r, x_z, x_n = gates_x.chunk(3, dim=1)
                                h_r, h_z, h_n = gates_h.chunk(3, dim=1)
                                r = torch.sigmoid(x_r + h_r)
                                z = torch.sigmoid(x_z + h_z)
                                n = torch.tanh(x_n + r * h_n)
                                h_new = (1 - z) * n + z * h
                            h = torch.where(kept[:, t], h_new, h)
                            steps.append(torch.where(kept[:, t], h, torch.zeros_like(h)))
                        output = torch.stack(steps, dim=1)
                        outputs.append(output.flip(1) if d == 1 else output)
                        finals.append(h)
                    layer_input = torch.cat(outputs, dim=2)
                    if k < rnn.num_layers - 1:
                        layer_input = F.dropout(layer_input, rnn.dropout, rnn.training)
                return layer_input if return_sequences else torch.cat(finals, dim=1)
            """",
        ["masked_pooling"] = """"
            def _masked_mean(x, mask):
                """The mean over the steps the mask keeps; a sample whose steps are all padding pools to zeros."""
                kept = mask.unsqueeze(-1).to(x.dtype)
                return (x * kept).sum(dim=1) / kept.sum(dim=1).clamp(min=1)


            def _masked_max(x, mask):
                """The maximum over the steps the mask keeps; a sample whose steps are all padding pools to zeros."""
                best = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
                return torch.where(mask.any(dim=1, keepdim=True), best, torch.zeros_like(best))
            """",
        ["attention"] = """"
            def _self_attention(qkv, heads, causal, dropout, training):
                """GPT-2's attention on the fused projection [batch, steps, 3 * width] (query, key and value side by side, the
                heads side by side within each): softmax(Q K^T / sqrt(head width), causally masked) V, the heads joined again."""
                batch, steps, fused = qkv.shape
                width = fused // 3
                q, k, v = (part.reshape(batch, steps, heads, width // heads).transpose(1, 2) for part in qkv.split(width, dim=2))
                scores = (q @ k.transpose(-2, -1)) / math.sqrt(width // heads)
                if causal:
                    future = torch.ones(steps, steps, dtype=torch.bool, device=qkv.device).triu(1)
                    scores = scores.masked_fill(future, float("-inf"))
                weights = F.dropout(torch.softmax(scores, dim=-1), dropout, training)
                return (weights @ v).transpose(1, 2).reshape(batch, steps, width)
            """",
    };
}
