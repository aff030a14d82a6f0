using System.Collections.Generic;
using System.IO;
using System.Linq;
using TypedNets.Data;
using TypedNets.Examples;
using TypedNets.Text;

namespace TextClassifier;

/// <summary>
/// The text classifier's data, as the tutorial prepares it: the "computers" and "politics" quotes of Debian's fortunes,
/// a stratified held-out fifth, a tokenizer fitted on the training quotes, and every quote as 100 token ids (padded and
/// truncated at the front, Keras' defaults). Linked into examples/Compression, which measures the same classifier.
/// </summary>
internal sealed class FortuneCorpus
{
    public const int VocabularySize = 10000;
    public const int SequenceLength = 100;
    public const double TestFraction = 0.2;
    public const ulong SplitSeed = 42;

    private FortuneCorpus(string[] classNames, List<string> texts, List<float> labels, int[] trainRows, int[] testRows, Tokenizer tokenizer)
    {
        ClassNames = classNames;
        Texts = texts;
        Labels = labels;
        TrainRows = trainRows;
        TestRows = testRows;
        Tokenizer = tokenizer;
        Train = Sequences(trainRows);
        Test = Sequences(testRows);
    }

    /// <summary>The two classes, by label: 0 computers, 1 politics.</summary>
    public string[] ClassNames { get; }

    /// <summary>Every quote, computers first, in file order.</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <summary>The label of each quote in <see cref="Texts"/>.</summary>
    public IReadOnlyList<float> Labels { get; }

    /// <summary>The rows of <see cref="Texts"/> trained on, shuffled as scikit-learn's splits return them.</summary>
    public int[] TrainRows { get; }

    /// <summary>The held-out rows of <see cref="Texts"/>.</summary>
    public int[] TestRows { get; }

    /// <summary>The tokenizer, fitted on the training quotes only.</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The training quotes as token ids, with their labels.</summary>
    public Dataset Train { get; }

    /// <summary>The held-out quotes as token ids, with their labels.</summary>
    public Dataset Test { get; }

    /// <summary>Reads data/fortunes (scripts/fetch-fortunes.sh fills it), splits and tokenizes.</summary>
    /// <exception cref="DirectoryNotFoundException">data/fortunes is missing.</exception>
    public static FortuneCorpus Load()
    {
        string[] classNames = ["computers", "politics"];
        string dataDirectory = DataDirectory.Find("fortunes", "scripts/fetch-fortunes.sh");
        var texts = new List<string>();
        var labels = new List<float>();
        for (int label = 0; label < classNames.Length; label++)
        {
            foreach (string quote in FortuneFile.Read(Path.Combine(dataDirectory, classNames[label])))
            {
                texts.Add(quote);
                labels.Add(label);
            }
        }

        // A stratified held-out split. Its rows come back shuffled, as scikit-learn's are, so Keras' validation_split
        // (the last 20% of the training rows as they stand) takes a random fifth, not the end of the politics file.
        (int[] trainRows, int[] testRows) = Split.StratifiedTrainTest(labels.ToArray(), TestFraction, SplitSeed);
        var tokenizer = new Tokenizer(numWords: VocabularySize);
        tokenizer.FitOnTexts(trainRows.Select(row => texts[row]));
        return new FortuneCorpus(classNames, texts, labels, trainRows, testRows, tokenizer);
    }

    private Dataset Sequences(int[] rows) => new(
        TypedNets.Text.Sequences.PadAsFloats(Tokenizer.TextsToSequences(rows.Select(row => Texts[row])), SequenceLength),
        SequenceLength,
        rows.Select(row => Labels[row]).ToArray(),
        1);
}
