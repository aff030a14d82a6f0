using Microsoft.CodeAnalysis;

namespace TypedNets.Generator;

/// <summary>
/// Every diagnostic TypedNets reports. Each id has a page under <c>docs/diagnostics/</c>, published on the documentation
/// site, which is its help link (<see cref="DocumentationSite"/>).
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "TypedNets";

    public static readonly DiagnosticDescriptor NetworkNotPartial = Error(
        "TN0001",
        "Network class must be partial",
        "'{0}' must be declared partial{1}, so that the generator can add the network's forward and backward passes",
        "A [Network] class, and every type that encloses it, must be declared 'partial'.");

    public static readonly DiagnosticDescriptor LayerNotPartial = Error(
        "TN0002",
        "Layer property must be partial",
        "Layer '{0}' must be declared as a partial property: '{1} partial {2} {0} {{ get; }}'",
        "Each layer is a partial property that the generator implements; without 'partial' it cannot.");

    public static readonly DiagnosticDescriptor MissingInput = Error(
        "TN0003",
        "Network has no [Input]",
        "Network '{0}' has no [Input] attribute; declare the shape of one sample, for example [Input(10)] for ten features, or [TokenInput(100)] for 100 token ids",
        "The generator infers every shape from the declared per-sample input shape.");

    public static readonly DiagnosticDescriptor InvalidInputShape = Error(
        "TN0004",
        "Invalid input shape",
        "Network '{0}' declares input shape {1}, but {2}",
        "The per-sample input shape has one to three positive dimensions: [features], [steps, features] or [channels, height, width].");

    public static readonly DiagnosticDescriptor NonPositiveUnits = Error(
        "TN0005",
        "Layer needs a positive number of units",
        "Layer '{0}' ({1}) declares {2} units; a layer needs at least 1",
        "A dense layer's unit count is the size of its output and must be positive.");

    public static readonly DiagnosticDescriptor DropoutRateOutOfRange = Error(
        "TN0006",
        "Dropout rate outside [0, 1)",
        "Layer '{0}' (Dropout) declares rate {1}, but a dropout rate is a probability in [0, 1), such as 0.5",
        "The rate is the probability of dropping an element; at 1 every element would be dropped.");

    public static readonly DiagnosticDescriptor MultipleLayerAttributes = Error(
        "TN0007",
        "More than one layer attribute on a property",
        "Property '{0}' carries both [{1}] and [{2}]; declare one layer per property",
        "Each layer property declares exactly one layer, so that every layer has its own name and weights.");

    public static readonly DiagnosticDescriptor NoLayers = Error(
        "TN0008",
        "Network has no layers",
        "Network '{0}' declares no layers; add a partial property with a layer attribute, for example [Dense(10)] public partial DenseLayer Output {{ get; }}",
        "A network needs at least one layer property.");

    public static readonly DiagnosticDescriptor IncompatibleShape = Error(
        "TN0009",
        "Layer cannot take the shape it receives",
        "Layer '{0}' ({1}) needs {2} but receives {3} from {4}; {5}",
        "Every layer checks the per-sample shape its predecessor produces.");

    public static readonly DiagnosticDescriptor WrongLayerType = Error(
        "TN0010",
        "Layer property has the wrong type",
        "Layer '{0}' is declared with [{1}], so its property must have type {2}, not {3}",
        "The property type gives typed access to the layer's weights and must match its attribute.");

    public static readonly DiagnosticDescriptor ReservedName = Error(
        "TN0011",
        "Name clashes with a generated member",
        "'{0}' in network '{1}' clashes with {2} that TypedNets generates; rename it",
        "The generated API adds members such as Forward, Predict, Sample and Parameters to the network class.");

    public static readonly DiagnosticDescriptor InvalidLayerProperty = Error(
        "TN0012",
        "Layer property must be an instance property with only a getter",
        "Layer '{0}' must be an instance property with a get accessor only, such as '{1} partial {2} {3} {{ get; }}'",
        "The generator implements the getter; static properties, setters and indexers cannot be layers.");

    public static readonly DiagnosticDescriptor UnsupportedNetworkType = Error(
        "TN0013",
        "Unsupported network type",
        "'{0}' cannot be a network: {1}",
        "A network is a non-generic, non-static partial class (not a record or struct), nested, if at all, only in non-generic classes.");

    public static readonly DiagnosticDescriptor UnknownActivation = Error(
        "TN0014",
        "Unknown activation",
        "Layer '{0}' declares activation {1}, which is not a member of TypedNets.Activation",
        "Activations are Identity, ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, GELU and GeluTanh.");

    public static readonly DiagnosticDescriptor DuplicateModuleName = Error(
        "TN0015",
        "Two layers share a state_dict name",
        "Layers '{0}' and '{1}' both map to the state_dict name '{2}'; rename one of them",
        "Layer property names become snake_case state_dict prefixes (OutputLayer -> output_layer), which must be unique.");

    public static readonly DiagnosticDescriptor NetworkTooLarge = Error(
        "TN0016",
        "Network too large",
        "Layer '{0}' brings the parameter count to {1}, more than the 2,147,483,647 one buffer can index; use fewer units or a smaller input",
        "All parameters live in a single array indexed by int.");

    public static readonly DiagnosticDescriptor SoftmaxOverOneUnit = Warning(
        "TN0017",
        "Softmax over a single unit",
        "Layer '{0}' applies Softmax over 1 unit, which always outputs 1; use Sigmoid for one output, or 2 units with Softmax",
        "Softmax normalises over the units of a layer; over one unit it is constant.");

    public static readonly DiagnosticDescriptor LossDoesNotFitOutput = Error(
        "TN0018",
        "Loss does not fit the output layer",
        "Loss {0} needs {1}, but {2}; {3}",
        "Cross-entropy needs a Softmax or linear output of at least two units; binary cross-entropy one Sigmoid or linear unit.");

    public static readonly DiagnosticDescriptor UnknownLoss = Error(
        "TN0019",
        "Unknown loss",
        "Network '{0}' declares loss {1}, which is not a member of TypedNets.LossKind",
        "Losses are MeanSquaredError, MeanAbsoluteError, Huber, CrossEntropy and BinaryCrossEntropy.");

    public static readonly DiagnosticDescriptor InvalidLossParameter = Error(
        "TN0020",
        "Invalid loss parameter",
        "Loss Huber declares Delta = {0}, but the delta must be a positive number, such as 1.0",
        "Huber's delta is the residual at which the loss turns from quadratic to linear.");

    public static readonly DiagnosticDescriptor InvalidPenalty = Error(
        "TN0021",
        "Invalid weight penalty",
        "Layer '{0}' declares {1} = {2}, but a penalty factor must be a finite number >= 0, such as 0.01",
        "L1 and L2 add a multiple of the weights' absolute values or squares to the loss.");

    public static readonly DiagnosticDescriptor LayerImplemented = Error(
        "TN0022",
        "Layer property already implemented",
        "Layer '{0}' has an implementation of its own, but TypedNets implements layer properties; remove the implementing declaration and keep '{{ get; }}'",
        "The generator writes the getter of every layer property, so the user's code declares it only.");

    public static readonly DiagnosticDescriptor NonPositiveSize = Error(
        "TN0023",
        "Layer needs a positive size",
        "Layer '{0}' ({1}) declares {2} {3}; it must be at least {4}",
        "Sizes of layers (an embedding's vocabulary and dimension, a position embedding's positions, a self-attention's heads, a convolution's filters, kernel, stride, padding, dilation and groups, a pooling window) have lower bounds.");

    public static readonly DiagnosticDescriptor TwoInputs = Error(
        "TN0024",
        "Both [Input] and [TokenInput]",
        "Network '{0}' declares both [Input] and [TokenInput]; keep [TokenInput(length)] for token ids, or [Input(...)] for float features",
        "A network has one input: float features or token ids.");

    public static readonly DiagnosticDescriptor TokensWithoutEmbedding = Error(
        "TN0025",
        "Token input without an Embedding",
        "Network '{0}' takes token ids ({1}) but its first layer '{2}' is {3}; start with an [Embedding(vocabulary, dimension)] layer",
        "Token ids are indices, not features: an Embedding turns them into vectors that the other layers can take.");

    public static readonly DiagnosticDescriptor UnavailableActivation = Error(
        "TN0026",
        "Activation not available on this layer",
        "Layer '{0}' ({1}) cannot apply {2}; {3}",
        "Softmax normalises over a vector of classes; put it on a Dense output layer.");

    public static readonly DiagnosticDescriptor InvalidNormalization = Error(
        "TN0027",
        "Invalid normalisation parameter",
        "Layer '{0}' ({1}) declares {2} = {3}, but {4}",
        "BatchNorm's momentum is a fraction in [0, 1]; the epsilon of BatchNorm and LayerNorm is a small positive number such as 1e-5.");

    public static readonly DiagnosticDescriptor WindowTooLarge = Error(
        "TN0028",
        "Window larger than its input",
        "Layer '{0}' ({1}) with {2} turns {3} into {4}; {5}",
        "A convolution or pooling window must fit inside its (padded) input.");

    public static readonly DiagnosticDescriptor PoolPaddingTooLarge = Error(
        "TN0037",
        "Pooling padding larger than half the window",
        "Layer '{0}' ({1}) declares padding {2}, but a window of {3} takes at most {4}, as in PyTorch; use a padding of at most {4}, or a larger window",
        "PyTorch's nn.MaxPool2d, nn.AvgPool2d, nn.MaxPool1d and nn.AvgPool1d take a padding of at most half the window, so that every window holds at least one real value.");

    public static readonly DiagnosticDescriptor EmbeddedWeightsNotFound = Error(
        "TN0029",
        "Embedded weights file not found",
        "Network '{0}' embeds weights from '{1}', but {2}",
        "[EmbeddedWeights] names a base64 safetensors file that the project lists as an AdditionalFiles item; the generator reads it from there.");

    public static readonly DiagnosticDescriptor MalformedEmbeddedWeights = Error(
        "TN0030",
        "Embedded weights file is not a base64 safetensors file",
        "Embedded weights '{0}' for network '{1}' are not a base64-encoded safetensors file: {2}; write them with SafeTensors.SaveBase64",
        "The file must be base64 text of a whole safetensors file: a header length, a JSON header whose tensors tile the data, and the data.");

    public static readonly DiagnosticDescriptor EmbeddedTensorNamesMismatch = Error(
        "TN0031",
        "Embedded weights do not hold the network's tensors",
        "Embedded weights '{0}' for network '{1}' {2}; {3}",
        "The file must hold every parameter tensor of the network, and BatchNorm's running statistics, under its state_dict name, and no other tensor but BatchNorm's num_batches_tracked.");

    public static readonly DiagnosticDescriptor EmbeddedTensorDoesNotFit = Error(
        "TN0032",
        "Embedded tensor does not fit its layer",
        "Embedded weights '{0}' for network '{1}' give tensor '{2}' {3}, but layer '{4}' ({5}) needs {6}; {7}",
        "Each tensor of the file must be F32 and have the shape of the layer's tensor of the same name.");

    public static readonly DiagnosticDescriptor NonFiniteEmbeddedWeight = Error(
        "TN0033",
        "Embedded weights hold NaN or infinity",
        "Embedded weights '{0}' for network '{1}' hold {2} in tensor '{3}' at element {4} (index {5} in shape {6}), {7}; " +
        "a network with a NaN or infinite weight predicts NaN: embed weights saved before training diverged, or set AllowNonFinite = true on [EmbeddedWeights] to embed them as they are",
        "A NaN or infinite parameter or running statistic makes every prediction that reaches it NaN; such weights are nearly always those of a training run that diverged.");

    public static readonly DiagnosticDescriptor PaddingIndexOutsideVocabulary = Error(
        "TN0034",
        "Padding index outside the vocabulary",
        "Layer '{0}' (Embedding) declares PaddingIndex = {1}, but its vocabulary has ids 0 to {2} - 1; {3}",
        "An Embedding's PaddingIndex is the id of the token whose row is frozen (PyTorch's padding_idx): an id of the vocabulary, or -1 for none.");

    public static readonly DiagnosticDescriptor UnusedSquareSize = Error(
        "TN0036",
        "Square size overridden on both sides",
        "Layer '{0}' (Conv2D) sets both {1}Height = {2} and {1}Width = {3}, so its {4} {5} is used by neither; {6}",
        "A Conv2D's KernelHeight/KernelWidth, StrideHeight/StrideWidth and PaddingHeight/PaddingWidth each override one side of the square size; setting both sides leaves the square value unused, which is a contradiction in the declaration.");

    public static readonly DiagnosticDescriptor GroupsDoNotDivide = Error(
        "TN0038",
        "Groups do not divide the channels or the filters",
        "Layer '{0}' ({5}) declares Groups = {1}, but its {2} {3} is not divisible by {1}; {4}",
        "A grouped convolution (PyTorch's groups=) splits the input channels (a Conv1D's features) and the filters into equal groups, so both must be divisible by Groups.");

    public static readonly DiagnosticDescriptor MaskNotSupported = Warning(
        "TN0050",
        "Padding mask reaches a layer that cannot skip padded steps",
        "Layer '{0}' ({1}) receives the padding mask of '{2}' (MaskZero = true) but cannot skip padded steps: it computes over them like any other step and drops the mask, as Keras 3 does; remove MaskZero, or set PaddingIndex = 0 on '{2}' so that padded steps are zero vectors",
        "A Conv1D, MaxPool1D or AvgPool1D mixes neighbouring steps, so it cannot leave padded steps out; as in Keras 3, which warns that such a layer does not support masking, it computes over them and the layers after it get no mask.");

    public static readonly DiagnosticDescriptor InvalidRecurrentLayers = Error(
        "TN0053",
        "Invalid number of recurrent layers",
        "Layer '{0}' ({1}) declares NumLayers = {2}, but {3}",
        "An [Lstm] or [Gru]'s NumLayers is PyTorch's num_layers: the number of stacked layers, from 1 to 1024.");

    public static readonly DiagnosticDescriptor RecurrentDropoutOutOfRange = Error(
        "TN0054",
        "Recurrent dropout outside [0, 1)",
        "Layer '{0}' ({1}) declares Dropout = {2}, but the dropout between stacked layers is a probability in [0, 1), such as 0.2",
        "An [Lstm] or [Gru]'s Dropout is PyTorch's dropout: the probability of dropping each state a stacked layer passes to the next, in training.");

    public static readonly DiagnosticDescriptor RecurrentDropoutWithOneLayer = Warning(
        "TN0055",
        "Recurrent dropout with a single layer",
        "Layer '{0}' ({1}) declares Dropout = {2} with a single layer, but that dropout acts only between stacked layers, so it does nothing (PyTorch warns likewise); set NumLayers = 2 or more, or add a [Dropout] layer after it",
        "An [Lstm] or [Gru]'s Dropout applies to the states each stacked layer passes to the next, never to the last layer's output, as PyTorch's dropout; with NumLayers = 1 there is nothing to apply it to.");

    public static readonly DiagnosticDescriptor HeadsDoNotDivideWidth = Error(
        "TN0056",
        "Attention heads do not divide the width",
        "Layer '{0}' (SelfAttention) declares {1} heads, but its width {2} ({3} input features / 3 for query, key and value) is not divisible by {1}; use a head count that divides {2}, such as {4}",
        "A [SelfAttention] splits its width (a third of its input features: the queries, keys and values are side by side) into equal heads, so the head count must divide the width, as PyTorch's nn.MultiheadAttention and nanoGPT require.");

    public static readonly DiagnosticDescriptor SequenceLongerThanPositions = Error(
        "TN0057",
        "Sequence longer than the position table",
        "Layer '{0}' (PositionEmbedding) has a table of {1} positions, but receives a sequence of {2} steps from {3}; declare at least {2} positions (GPT's block size), or shorten the sequence to at most {1} steps",
        "A [PositionEmbedding] adds row t of its table to step t, so the table needs a row for every step of the sequence it receives.");

    public static readonly DiagnosticDescriptor AttentionDropoutOutOfRange = Error(
        "TN0058",
        "Attention dropout outside [0, 1)",
        "Layer '{0}' (SelfAttention) declares Dropout = {1}, but the dropout on the attention weights is a probability in [0, 1), such as 0.1",
        "A [SelfAttention]'s Dropout is the probability of dropping each attention weight in training (PyTorch's dropout_p, nanoGPT's attn_dropout); at 1 every weight would be dropped.");

    public static readonly DiagnosticDescriptor TiedToNotAnEmbedding = Error(
        "TN0059",
        "Tied weight is not an embedding's table",
        "Layer '{0}' (Dense) ties its weight to '{1}', which is {2}; TiedTo names an [Embedding] declared before it in the same {3}{4}",
        "A Dense's TiedTo names, with nameof, the [Embedding] whose table it uses as its weight, as GPT-2 ties its output projection to its token embedding; a layer of another kind has no table to share.");

    public static readonly DiagnosticDescriptor TiedShapeMismatch = Error(
        "TN0060",
        "Tied weights of mismatched shapes",
        "Layer '{0}' (Dense) ties its weight {1} to '{2}' (Embedding), whose table is {3}; the shapes must be equal: {4}",
        "A tied Dense uses the Embedding's table [vocabulary, dimension] as its weight [units, inputs]: it must have one output per id and read vectors of the embedding's dimension, as GPT-2's head maps the model's width back to its vocabulary.");

    public static readonly DiagnosticDescriptor IgnoreIndexWithoutClassTargets = Error(
        "TN0061",
        "Ignore index on a loss without class targets",
        "Loss {0} declares IgnoreIndex = {1}, but only CrossEntropy has class-id targets to ignore; drop IgnoreIndex, or use LossKind.CrossEntropy",
        "IgnoreIndex names the class-id target whose positions cross-entropy leaves out, as PyTorch's ignore_index (padding after a sequence's end); the regression losses and binary cross-entropy take a value per output, which has nothing to ignore.");

    public static readonly DiagnosticDescriptor BlockInputIsTokenIds = Error(
        "TN0062",
        "Token ids read as features through BlockAttribute.Input",
        "Layer '{0}' ({1}) reads BlockAttribute.Input, which here is the network's token ids [TokenInput({2})]; only an [Embedding] reads token ids: name a layer after the embedding{3}",
        "BlockAttribute.Input names the input of the enclosing block, or of the network; where that is the token ids of a [TokenInput] network, they are indices, not features, and only an [Embedding] can read them.");

    public static readonly DiagnosticDescriptor TiedPathLeadsNowhere = Error(
        "TN0063",
        "Tied path does not lead to a layer",
        "Layer '{0}' (Dense) ties its weight to '{1}', but {2}",
        "A Dense's TiedTo may name an [Embedding] inside an earlier block by its path of property names separated by dots, as \"Transformer.Wte\", with the index of a [Repeat] copy where the path passes one; every part but the last must be a block of the one before it.");

    public static readonly DiagnosticDescriptor EmbeddedWeightsNotQuantizable = Error(
        "TN0064",
        "Embedded weights cannot be quantised to int8",
        "Network '{0}' cannot embed '{1}' quantised to int8: {2}",
        "With Quantization = EmbeddedQuantization.Int8 on [EmbeddedWeights] the generator quantises, as network.Quantize() does, every Dense weight not tied to an embedding, every ungrouped Conv2D weight and every LSTM and GRU weight, symmetric per row: the network needs at least one such weight, and each needs finite values, at most Int8Gemm.MaxDepth (65,793) values per row and a largest magnitude whose scale (largest / 127) is not 0.");

    public static readonly DiagnosticDescriptor JoinShapeMismatch = Error(
        "TN0039",
        "Joined layers do not agree in shape",
        "Layer '{0}' ({1}) cannot join '{2}' {3} with '{4}' {5}: {6}",
        "An Add and the addition that ends a residual block need two outputs of one shape; a Concatenate needs outputs that agree in every dimension but the one joined (the channels of images, the features of vectors and sequences).");

    public static readonly DiagnosticDescriptor UnknownLayerReference = Error(
        "TN0040",
        "Layer reference is not an earlier layer in scope",
        "Layer '{0}' reads '{1}', which {2}",
        "Add, Concatenate, From and a Dense's TiedTo name a layer with nameof; it must be a layer (or block) of the same network or block, declared before the layer that reads it, so that the network stays a graph computed in source order.");

    public static readonly DiagnosticDescriptor InvalidBlock = Error(
        "TN0041",
        "Invalid block declaration",
        "'{0}' {1}",
        "A block is a [Block], [Residual] or [Sequential] class used as the type of a property; a [Repeat] property is an IReadOnlyList of a block type with a positive count; a [Shortcut] is the one projection of a [Residual] block; a block cannot contain itself.");

    public static readonly DiagnosticDescriptor InternalError = Error(
        "TN0999",
        "TypedNets generator failed",
        "The TypedNets generator failed on '{0}' ({1}); please report this with the declaration",
        "An unexpected failure inside the generator is reported here instead of crashing the build.");

    private static DiagnosticDescriptor Error(string id, string title, string message, string description)
        => Create(id, title, message, description, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Warning(string id, string title, string message, string description)
        => Create(id, title, message, description, DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, string description, DiagnosticSeverity severity)
        => new(id, title, message, Category, severity, isEnabledByDefault: true, description, helpLinkUri: DocumentationSite.DiagnosticPage(id));
}
