/**
 * Reference data made by other implementations, so the tests do not only check this
 * code against itself.
 *
 * SERVER_TONE_STREAM: the first 240 ms of a 440 Hz tone as the backend sends it (libogg
 * and libopus through the Python package sphn): BOS page with OpusHead, a page with
 * OpusTags, then six pages of one 40 ms Opus packet each.
 */
export const SERVER_TONE_STREAM_BASE64 =
  "T2dnUwACAAAAAAAAAAAqAAAAAAAAAK7+8/EBE09wdXNIZWFkAQEAD4C7AAAAAABPZ2dTAAAAAAAAAAAAACoAAAABAAAA" +
  "SzwBcQEbT3B1c1RhZ3MLAAAAS3l1dGFpTW9zaGkAAAAAT2dnUwAAgAcAAAAAAAAqAAAAAgAAAA+aXbIBmGpcgrVdbJ6Z" +
  "rAAABg9tzOKNA6WcvHUTrRHzde326ClST/ww9Rjjsgzz96KnuDCoRUpdDAs7wbWO19H/BK0DsYGCrUn41sCOAfwvQn1X" +
  "TUByH6n1ij5kKy8NtJrvMSOnGR9X3oISKqKY0EjlKUbLEz1GDgA6pE3UPTBNmLhyCE2n5QXwHiDo6xpKQRx2/AMiyiuN" +
  "XALJiezOT2dnUwAAAA8AAAAAAAAqAAAAAwAAADu5LMMBlmpMnJPfdZz8S1UckJnBBDUml/DuqibQacROoVljZJHVNJxF" +
  "Ovuf3aR+EL3OKpI/EevvCC8Log21jdoZyZd/i4d666gDDLsTKK3S+7pfV5yT33Wc/EtUaQzI8WE7tLy+cBIyHaxFI2ZU" +
  "QTNc+wlvveXS/arlPNe6T7qjjzTDeRl+1pNAsUC6rES3T2EpO5qL5dzm/QjsI09nZ1MAAIAWAAAAAAAAKgAAAAQAAABk" +
  "kb3DAZJqRpyT33Wc/EkzwAgorlcLeBC7FTuX7EYFAcW7lnrZbOuEMfaZiTE5sWqL/+418usz3ck0GiE8EjKNigkkD0Rt" +
  "nX3slxNCgtack991nPxLVGkM1U3bgQVrNejnIByvqYb+7+pA0OG7EekK7EFN/zDEYKaDfOeMyjmGPhuEG6FjA1m3KtlB" +
  "T0lmke7mhCo3h+pxc09nZ1MAAAAeAAAAAAAAKgAAAAUAAACXF9GtAZpqTZyT33Mt0jExJJFf7VDKS3no4au3NbWBHayH" +
  "ywnjktqJg/qnr6dxVoRmsHVNjuRbDbihV2HA3bO4Du4aUd34m5b3qgMXGrFlHFQrgFkqnJPfcykgawk21DtBK58TA4Ys" +
  "YRcR133/GNXWsEzr0Y/6DcawxObwNYwztnQOWCoL/icYf3ioAv6Ni0r477Y1kQMMuxMordL7ul9XT2dnUwAAgCUAAAAA" +
  "AAAqAAAABgAAAIMPaNYBcVDN+1lY+R22wezhvJdKjFyrTZA5+aib3CFOXhRdovKYAjjYJYiYdj9/CLt/b4uFqG6PgGXK" +
  "BmmUsDS9l7bEIFlaE4sdpnOMS5SGlXYXYOS6zAlOMV4Ei/udAFtuA8+q4y9J3cbHskwb6VoviRE6MveFT2dnUwAAAC0A" +
  "AAAAAAAqAAAABwAAAGCe2Z4BaFDN0a+60JvBIxaAk+eLeivF3r8bG8wSm8+0OEfbZBX+MyePzTRgAwyNhcpVD+BwJnR+" +
  "K1M0FfmST0L/4j7BhtegFTuR9Os33gXsVhoSqslAFS6Y70lnaPElHbQMzWkZ6eZQ6dBk5pwQ";

/** One of each server event, serialised by the backend's own pydantic models. */
export const SERVER_EVENT_FRAMES: readonly string[] = [
  '{"event_id":"event_OtK6QjKLOuRydlbivIUGp","type":"error","error":{"type":"fatal","code":"capacity","message":"All conversation seats are taken; please retry shortly.","param":null,"details":null}}',
  '{"event_id":"event_HZOdspVbcPYbfBHgK7cs1","type":"error","error":{"type":"warning","code":null,"message":"The language model is slow.","param":null,"details":null}}',
  '{"event_id":"event_rKLi2JqFRSOcMH2zC9zOG","type":"session.updated","session":{"instructions":{"type":"smalltalk","language":"en"},"voice":"unmute-prod-website/p329_022.wav","allow_recording":false}}',
  '{"event_id":"event_i36n3aDMhdPFrEJjPHcH1","type":"response.created","response":{"object":"realtime.response","status":"in_progress","voice":"v","chat_history":[{"role":"system","content":"be nice"}]}}',
  '{"event_id":"event_Xh3h7jKh1BPwpv52sDKDw","type":"unmute.response.text.delta.ready","delta":"Hello"}',
  '{"event_id":"event_2qoTDcjujz6EXS1Jeueqz","type":"response.text.delta","delta":" there"}',
  '{"event_id":"event_ZeB9nx7YHiJ9RT51VGMCa","type":"response.text.done","text":"Hello there"}',
  '{"event_id":"event_SYTRuEUBo4He0D80Jp1PX","type":"response.audio.delta","delta":"T2dnUw=="}',
  '{"event_id":"event_qO43YpzrMHf9nL4W1ue4I","type":"response.audio.done"}',
  '{"event_id":"event_oE50HejHUAlDZgMWK7GN1","type":"conversation.item.input_audio_transcription.delta","delta":"hello","start_time":1.25}',
  '{"event_id":"event_VlViG1MSTRiOt0NIeQTKa","type":"input_audio_buffer.speech_started"}',
  '{"event_id":"event_0Y1I2txa0tEkU9PRkEPXZ","type":"input_audio_buffer.speech_stopped"}',
  '{"event_id":"event_Y06qcFwhVrNPg9I9hRIQ3","type":"unmute.interrupted_by_vad"}',
  '{"event_id":"event_feLK5y33xJv8QHVEYdBRz","type":"unmute.additional_outputs","args":{"chat_history":[{"role":"assistant","content":"Hi"}],"debug_dict":{},"debug_plot_data":[]}}',
];

/** The first entries of the backend's `GET /v1/voices`. */
export const VOICES_RESPONSE = [
  {
    name: "Robin",
    good: true,
    instructions: { type: "smalltalk", language: "en" },
    source: {
      source_type: "file",
      path_on_server: "unmute-prod-website/p329_022.wav",
      description: "A speaker of the Device Recorded VCTK corpus.",
      description_link: "https://datashare.ed.ac.uk/handle/10283/3038",
    },
  },
  {
    name: "Ada",
    good: true,
    instructions: {
      type: "constant",
      text: "Your name is Ada and you are a calm and patient tutor. You help the user understand whatever they are curious about, from fractions to photosynthesis. Explain one idea at a time with a simple everyday example, then check understanding with a short question. Praise effort, never make the user feel slow, and if they are stuck, give a hint before giving the answer.",
      language: "en",
    },
    source: {
      source_type: "file",
      path_on_server: "expresso/ex04-ex02_happy_001_channel1_118s.wav",
      description: "A speaker of the Expresso corpus, recorded reading in a happy style.",
      description_link: "https://speechbot.github.io/expresso/",
    },
  },
  {
    name: "Chef Basile",
    good: true,
    instructions: {
      type: "constant",
      text: "You are a cheerful chef who loves home cooking. Your name is Basile. You suggest simple recipes from whatever the user has in the fridge, share one tip at a time, and get enthusiastic about good ingredients. Give quantities and steps one short sentence at a time, never as a list, and ask what the user has on hand before suggesting a dish.",
      language: "en",
    },
    source: {
      source_type: "file",
      path_on_server: "expresso/ex03-ex01_happy_001_channel1_334s.wav",
      description: "A speaker of the Expresso corpus, recorded reading in a happy style.",
      description_link: "https://speechbot.github.io/expresso/",
    },
  },
];
