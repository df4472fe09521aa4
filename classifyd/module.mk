# classifyd: the audio classifier daemon (and its --eval tool).
PROGS += classifyd
DAEMONS += classifyd
classifyd_SRC := $(wildcard classifyd/*.c)
classifyd_PKGS := fftw3 spandsp pocketsphinx sphinxbase libcurl
classifyd_LIBS := -lpthread
# libsphinxbase exports a feat_free() of its own: keep classifyd's symbols
# out of the dynamic symbol table so that the library calls its own.
$(BUILD)/obj/classifyd/%.o: ALL_CFLAGS += -fvisibility=hidden

# Unit tests: the classifier library without the bus glue.
test_classify_features_OBJS := classifyd/features.c classifyd/classify.c \
	classifyd/tones.c
test_classify_features_PKGS := fftw3 spandsp
test_classify_human_OBJS := classifyd/features.c classifyd/classify.c \
	classifyd/tones.c
test_classify_human_PKGS := fftw3 spandsp
test_classify_tones_OBJS := classifyd/features.c classifyd/classify.c \
	classifyd/tones.c
test_classify_tones_PKGS := fftw3 spandsp

# Unit tests of the transcript side (no pocketsphinx, no bus).
test_stt_text_OBJS := classifyd/stt_text.c
test_stt_cloud_OBJS := classifyd/stt_cloud.c
test_stt_cloud_PKGS := libcurl

# The IVR language model and dictionary for offline transcripts
# (classifyd(8), TRANSCRIPTS); stt_data_dir defaults to this directory.
.PHONY: install-classifyd-stt
install: install-classifyd-stt
install-classifyd-stt:
	install -d $(DESTDIR)$(DATAROOT)/holdslayer/stt
	install -m 0644 classifyd/stt/ivr.lm classifyd/stt/ivr.dict \
		classifyd/stt/ivr-phrases.txt $(BUILD)/stt/mllr_matrix \
		$(DESTDIR)$(DATAROOT)/holdslayer/stt/

# The acoustic adaptation of the en-us model to telephone audio: an MLLR
# transform made from synthesized phone-menu speech (classifyd/stt/mkadapt.sh,
# sphinxtrain; about half a minute on two cores), which the engine loads
# from beside the program or from the installed data directory.
all: $(BUILD)/stt/mllr_matrix
$(BUILD)/stt/mllr_matrix: $(BUILD)/stt-fe classifyd/stt/mkadapt.sh \
		classifyd/stt/mkadapt-text.py classifyd/stt/mklm.py \
		classifyd/stt/sendump2mixw.py classifyd/stt/ivr-phrases.txt \
		classifyd/stt/ivr.dict tests/classify/flite_say.c
	@mkdir -p $(dir $@)
	sh classifyd/stt/mkadapt.sh $(abspath $(BUILD)/stt-fe) \
		$(BUILD)/stt/adapt.work $@.tmp
	rm -rf $(BUILD)/stt/adapt.work
	mv $@.tmp $@

# The feature dumper of the acoustic adaptation (not installed).
$(BUILD)/stt-fe: $(BUILD)/obj/classifyd/stt/stt_fe.o \
		$(BUILD)/obj/classifyd/stt.o $(BUILD)/obj/classifyd/stt_cloud.o \
		$(LIBHS)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs pocketsphinx \
		sphinxbase libcurl $(PKGS_COMMON)) -lm
