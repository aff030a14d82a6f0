using System;

namespace TypedNets.Text;

/// <summary>
/// A generation session of a causal language model, as nanoGPT's <c>generate</c> and Hugging Face's
/// <c>model.generate</c> run one: a prompt is prefilled through the key/value caches, then each <see cref="Next"/>
/// samples a token from the last position's logits, feeds it back and returns it. Made by a generated network's
/// <c>CreateGenerator</c>; the network's <c>Generate</c> runs a session to the end.
/// </summary>
/// <remarks>
/// <para>
/// Cost: a token runs every layer on one position only (a Dense layer is a matrix-vector product, attention reads
/// the cached keys and values of the earlier positions), and allocates nothing: the caches (per attention layer,
/// keys and values of <see cref="Context"/> positions), the rows and the sampler's buffers are made with the session.
/// </para>
/// <para>
/// The window rule: the network sees at most <see cref="Context"/> positions (its <c>[TokenInput(steps)]</c>). When
/// the window is full and a token arrives, the last <see cref="Context"/> / 2 tokens are kept, run again at positions
/// 0, 1, ... to refill the caches, and the new token follows them; so a long generation costs, on average, about one
/// extra position per token, and every token is conditioned on at least the last <see cref="Context"/> / 2 tokens.
/// (nanoGPT instead crops to the last <see cref="Context"/> tokens and runs the whole window again, without a cache,
/// for every token.)
/// </para>
/// <para>
/// Sampling is <see cref="TokenSampler"/>'s: temperature (0 is greedy), top-k and top-p, every draw fixed by the
/// seed. A session's sampler stream runs on across <see cref="Prefill"/> calls.
/// </para>
/// <para>
/// Threads: a session is for one thread at a time; any number of sessions may run at once, on one network and beside
/// its predictions. A step reads the weights as <c>Predict</c> does, so it throws
/// <see cref="InvalidOperationException"/> while another thread trains the network or loads its weights.
/// </para>
/// </remarks>
public sealed class TextGenerator
{
    private readonly TokenDecoder _decoder;
    private readonly TokenSampler _sampler;
    private readonly int[] _window;
    private readonly float[] _logits;
    private int _length;

    /// <summary>Creates a session over <paramref name="decoder"/> that samples with the given options.</summary>
    /// <param name="decoder">A generated network's decode path.</param>
    /// <param name="temperature">The divisor of the logits, &gt;= 0: below 1 sharper, above 1 flatter, 0 greedy.</param>
    /// <param name="topK">Sample only from the k most likely tokens (ties at the cut kept); 0 for all.</param>
    /// <param name="topP">Sample only from the fewest most likely tokens whose probabilities reach this sum, in (0, 1]; 1 for all.</param>
    /// <param name="seed">Fixes every draw.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="decoder"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="temperature"/>, <paramref name="topK"/> or <paramref name="topP"/> is outside its range; the message names the value and the range.</exception>
    public TextGenerator(TokenDecoder decoder, double temperature = 1.0, int topK = 0, double topP = 1.0, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        _sampler = new TokenSampler(decoder.Vocabulary, temperature, topK, topP, seed);
        _decoder = decoder;
        _window = new int[decoder.Context];
        _logits = new float[decoder.Vocabulary];
    }

    /// <summary>The number of token ids, and of logits per position.</summary>
    public int Vocabulary => _decoder.Vocabulary;

    /// <summary>The most positions the network sees at once, its <c>[TokenInput(steps)]</c>.</summary>
    public int Context => _decoder.Context;

    /// <summary>The number of tokens in the window, the positions the caches hold.</summary>
    public int Length => _length;

    /// <summary>The tokens in the window, oldest first: the prompt and what followed it, after any window slides.</summary>
    public ReadOnlySpan<int> Window => _window.AsSpan(0, _length);

    /// <summary>The logits of the next token (before a softmax head), as the last token left them; empty before any.</summary>
    public ReadOnlySpan<float> Logits => _length == 0 ? ReadOnlySpan<float>.Empty : _logits;

    /// <summary>The sampler <see cref="Next"/> draws with.</summary>
    public TokenSampler Sampler => _sampler;

    /// <summary>Empties the window and the caches; the next token goes to position 0.</summary>
    public void Reset() => _length = 0;

    /// <summary>Starts a new sequence: empties the window and runs <paramref name="prompt"/> through the caches.</summary>
    /// <param name="prompt">1 to <see cref="Context"/> token ids, each in [0, <see cref="Vocabulary"/>).</param>
    /// <exception cref="ArgumentException">When <paramref name="prompt"/> is empty or longer than <see cref="Context"/> (ParamName <c>prompt</c>); the session is left as it was.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When an id is outside [0, <see cref="Vocabulary"/>) (ParamName <c>prompt</c>); the session is left as it was.</exception>
    /// <exception cref="InvalidOperationException">When another thread trains the network or loads its weights.</exception>
    public void Prefill(ReadOnlySpan<int> prompt)
    {
        CheckPrompt(prompt);
        _decoder.Access.EnterShared("Generate");
        try
        {
            _length = 0;
            foreach (int token in prompt)
            {
                Feed(token);
            }
        }
        finally
        {
            _decoder.Access.ExitShared();
        }
    }

    /// <summary>
    /// Feeds <paramref name="token"/> as the next position (a token chosen by the caller rather than sampled, as in
    /// teacher forcing), sliding the window when it is full; <see cref="Logits"/> then holds the following token's.
    /// </summary>
    /// <param name="token">A token id in [0, <see cref="Vocabulary"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="token"/> is outside [0, <see cref="Vocabulary"/>).</exception>
    /// <exception cref="InvalidOperationException">When another thread trains the network or loads its weights.</exception>
    public void Append(int token)
    {
        if ((uint)token >= (uint)Vocabulary)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"{_decoder.Network} reads token ids in [0, {Vocabulary - 1}], but the token was {token}; map it through the tokenizer the network was trained with.");
        }

        _decoder.Access.EnterShared("Generate");
        try
        {
            Feed(token);
        }
        finally
        {
            _decoder.Access.ExitShared();
        }
    }

    /// <summary>Samples the next token from <see cref="Logits"/>, feeds it back and returns it.</summary>
    /// <returns>The token's id.</returns>
    /// <exception cref="InvalidOperationException">When no token has been fed yet (call <see cref="Prefill"/>), or another thread trains the network or loads its weights.</exception>
    public int Next()
    {
        if (_length == 0)
        {
            throw new InvalidOperationException($"{_decoder.Network}'s generator has no tokens to continue from; call Prefill with a prompt of at least one token first.");
        }

        _decoder.Access.EnterShared("Generate");
        try
        {
            int token = _sampler.Next(_logits);
            Feed(token);
            return token;
        }
        finally
        {
            _decoder.Access.ExitShared();
        }
    }

    /// <summary>Writes the next <c>tokens.Length</c> tokens into <paramref name="tokens"/>, as that many <see cref="Next"/> calls; allocates nothing.</summary>
    /// <param name="tokens">Where the new tokens go.</param>
    /// <exception cref="InvalidOperationException">When no token has been fed yet (call <see cref="Prefill"/>), or another thread trains the network or loads its weights.</exception>
    public void Generate(Span<int> tokens)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = Next();
        }
    }

    /// <summary>
    /// Prefills <paramref name="prompt"/> and samples <paramref name="maxNewTokens"/> tokens after it; returns the
    /// prompt followed by the new tokens, as nanoGPT's and Hugging Face's <c>generate</c> return the whole sequence.
    /// </summary>
    /// <param name="prompt">1 to <see cref="Context"/> token ids, each in [0, <see cref="Vocabulary"/>).</param>
    /// <param name="maxNewTokens">How many tokens to add, &gt;= 0; the window slides past the context as the class describes.</param>
    /// <returns><c>prompt.Length + maxNewTokens</c> ids.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="maxNewTokens"/> is negative, or an id of <paramref name="prompt"/> is outside [0, <see cref="Vocabulary"/>) (ParamName <c>prompt</c>).</exception>
    /// <exception cref="ArgumentException">When <paramref name="prompt"/> is empty or longer than <see cref="Context"/>.</exception>
    /// <exception cref="InvalidOperationException">When another thread trains the network or loads its weights.</exception>
    public int[] Generate(ReadOnlySpan<int> prompt, int maxNewTokens)
    {
        if (maxNewTokens < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxNewTokens), maxNewTokens, $"maxNewTokens must be >= 0, but it was {maxNewTokens}; pass how many tokens to add after the prompt.");
        }

        Prefill(prompt);
        int[] sequence = new int[prompt.Length + maxNewTokens];
        prompt.CopyTo(sequence);
        Generate(sequence.AsSpan(prompt.Length));
        return sequence;
    }

    private void CheckPrompt(ReadOnlySpan<int> prompt)
    {
        if (prompt.IsEmpty)
        {
            throw new ArgumentException($"{_decoder.Network} needs a prompt of at least one token to continue from, but it was empty; start with a token such as the tokenizer's first character or an end-of-text id.", nameof(prompt));
        }

        if (prompt.Length > Context)
        {
            throw new ArgumentException(
                $"The prompt holds {prompt.Length} tokens, but {_decoder.Network} sees at most {Context} positions; pass its last {Context} tokens (prompt[^{Context}..]).",
                nameof(prompt));
        }

        for (int i = 0; i < prompt.Length; i++)
        {
            if ((uint)prompt[i] >= (uint)Vocabulary)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(prompt), prompt[i], $"prompt[{i}] is {prompt[i]}, but {_decoder.Network} reads token ids in [0, {Vocabulary - 1}]; map the text through the tokenizer the network was trained with.");
            }
        }
    }

    // One position through the decoder; a full window first keeps its last half at positions 0, 1, ...
    private void Feed(int token)
    {
        if (_length == _window.Length)
        {
            int keep = _window.Length / 2;
            _window.AsSpan(_window.Length - keep, keep).CopyTo(_window);
            for (int position = 0; position < keep; position++)
            {
                _decoder.Step(_window[position], position, _logits);
            }

            _length = keep;
        }

        _decoder.Step(token, _length, _logits);
        _window[_length++] = token;
    }
}
