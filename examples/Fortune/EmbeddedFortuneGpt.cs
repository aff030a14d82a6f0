using TypedNets;

namespace TinyGpt;

// TinyGpt's network (Networks.cs, linked) with the weights it trained compiled in: the generator checks the file
// against the declaration when this project builds, and `new FortuneGpt()` starts from them without reading a file.
[EmbeddedWeights("FortuneGpt.safetensors.b64")]
public partial class FortuneGpt
{
}
