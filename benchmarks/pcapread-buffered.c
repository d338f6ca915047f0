/*
 * pcapread-buffered: the bare pcap_next_ex loop of ../shared/bench/pcapread.c, but libpcap reads
 * the file through a 1 MiB C-library buffer, as sentinel does (CaptureFileSource.ReadBufferBytes),
 * instead of glibc's default of one 4 KiB block. benchmarks/compare.sh times both, so the table
 * shows what the buffer alone is worth and where sentinel stands against a loop that has it too.
 *
 *   cc -O2 -Wall -o pcapread-buffered pcapread-buffered.c -lpcap
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

static char buffer[1 << 20];

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *header;
    const u_char *data;
    uint64_t packets = 0, captured = 0, wire = 0;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    FILE *file = fopen(argv[1], "rb");
    if (file == NULL) {
        perror(argv[1]);
        return 1;
    }
    /* Before any read, so no glibc-specific behaviour is involved. */
    setvbuf(file, buffer, _IOFBF, sizeof buffer);
    pcap_t *pcap = pcap_fopen_offline(file, errbuf);
    if (pcap == NULL) {
        fprintf(stderr, "pcap_fopen_offline: %s\n", errbuf);
        fclose(file);
        return 1;
    }
    while ((rc = pcap_next_ex(pcap, &header, &data)) == 1) {
        packets++;
        captured += header->caplen;
        wire += header->len;
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_next_ex: %s\n", pcap_geterr(pcap));
        pcap_close(pcap);
        return 1;
    }
    pcap_close(pcap);
    printf("packets=%llu caplen_bytes=%llu wire_bytes=%llu\n",
           (unsigned long long)packets, (unsigned long long)captured, (unsigned long long)wire);
    return 0;
}
