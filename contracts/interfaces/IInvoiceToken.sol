// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IInvoiceToken
/// @notice One ERC-721 ("Hundi Invoice", HINV) per unpaid GST invoice. The token is the invoice's on-chain
///         record and its place in the status machine.
/// @dev Status machine (ARCHITECTURE.md); any other transition reverts `InvalidTransition`:
///
///      Minted --verify--> Verified --list--> Listed --fully funded--> Funded --repaid >= face--> Repaid
///         \--reject--> Rejected              \--cancel--> Cancelled          Funded --grace passed--> Defaulted
///
///      Who holds the NFT: the seller while Minted, Verified, Rejected or Cancelled; FundingEscrow while Listed,
///      Funded, Repaid or Defaulted. Holders never move it themselves: only module custody moves are allowed,
///      so "who holds what" is always a function of the status. Transitions happen only through the module
///      contracts (MODULE_ROLE: OracleHub, FundingEscrow, RepaymentDistributor).
interface IInvoiceToken {
    /// @notice Invoice status. The numbering is public: the indexer and integrators decode it.
    enum Status {
        None,
        Minted,
        Verified,
        Rejected,
        Listed,
        Funded,
        Repaid,
        Defaulted,
        Cancelled
    }

    /// @notice What an SME submits to mint an invoice.
    /// @param invoiceKey The IRN: SHA-256 over supplier GSTIN + financial year (YYYY-YY) + "INV" + document number.
    /// @param buyerId keccak256 of the buyer's GSTIN.
    /// @param faceValue Amount the buyer owes, in settlement-asset base units.
    /// @param issueDate Invoice date (unix seconds).
    /// @param dueDate Payment due date (unix seconds); must be in the future.
    /// @param docDigest SHA-256 of the plaintext invoice document.
    /// @param docCid Content id of the encrypted document (emitted, not stored).
    struct MintRequest {
        bytes32 invoiceKey;
        bytes32 buyerId;
        uint128 faceValue;
        uint64 issueDate;
        uint64 dueDate;
        bytes32 docDigest;
        string docCid;
    }

    /// @notice The stored record of an invoice.
    struct Invoice {
        bytes32 invoiceKey;
        bytes32 buyerId;
        bytes32 docDigest;
        address seller;
        uint64 issueDate;
        Status status;
        uint8 riskScore;
        uint16 checks;
        uint128 faceValue;
        uint64 dueDate;
    }

    event InvoiceMinted(
        uint256 indexed invoiceId,
        address indexed seller,
        bytes32 indexed invoiceKey,
        bytes32 buyerId,
        uint128 faceValue,
        uint64 issueDate,
        uint64 dueDate,
        bytes32 docDigest,
        string docCid
    );
    /// @notice Every status change after mint (mint itself is reported by `InvoiceMinted`; burn goes to None).
    event InvoiceStatusChanged(uint256 indexed invoiceId, Status from, Status to);
    event InvoiceVerified(uint256 indexed invoiceId, uint8 riskScore, uint16 checks, bytes32 reportId);
    event InvoiceRejected(uint256 indexed invoiceId, uint16 checks, bytes32 reportId);

    error NotKycApproved(address account, uint8 role);
    error DuplicateInvoice(bytes32 invoiceKey, uint256 existingId);
    error EmptyInvoiceKey();
    error ZeroFaceValue();
    error DueDateNotInFuture(uint64 dueDate, uint256 blockTimestamp);
    error IssueDateAfterDueDate(uint64 issueDate, uint64 dueDate);
    error EmptyDocDigest();
    error InvoiceNotFound(uint256 invoiceId);
    error InvalidTransition(uint256 invoiceId, Status from, Status to);
    error NotSeller(uint256 invoiceId, address caller);
    error NotBurnable(uint256 invoiceId, Status status);
    error TransferRestricted(uint256 invoiceId);
    error InvalidRiskScore(uint8 riskScore);
    error InvalidChecks(uint16 checks);
    error ZeroAddress();

    /// @notice The role of the module contracts allowed to move invoices along the status machine.
    function MODULE_ROLE() external view returns (bytes32);
    /// @notice The role allowed to pause minting and burning.
    function PAUSER_ROLE() external view returns (bytes32);

    /// @notice Mints a new invoice to the caller, who must be a KYC'd SME.
    /// @dev Reverts `DuplicateInvoice` while a live token has the same key, and on a zero amount, a due date not
    ///      in the future, an issue date after the due date, or an empty digest or key.
    /// @return invoiceId The new token id (ids start at 1; 0 means "none").
    function mint(MintRequest calldata r) external returns (uint256 invoiceId);

    /// @notice Burns the caller's invoice while Minted, Verified, Rejected or Cancelled, which frees its key.
    /// @dev Cancelled is included so that an invoice whose listing went unfilled can be minted and financed again;
    ///      its investors' refunds stay claimable from the escrow.
    function burn(uint256 invoiceId) external;

    /// @notice The stored record; reverts `InvoiceNotFound` for an id never minted or burned.
    function invoiceOf(uint256 invoiceId) external view returns (Invoice memory);

    /// @notice The status; `None` for an id never minted or burned.
    function statusOf(uint256 invoiceId) external view returns (Status);

    /// @notice The live token with `invoiceKey`, or 0.
    function idByKey(bytes32 invoiceKey) external view returns (uint256);

    /// @notice The next id `mint` will assign.
    function nextInvoiceId() external view returns (uint256);

    /// @notice Moves an invoice along the status machine. MODULE_ROLE only.
    /// @dev Custody follows the status: to Listed the NFT moves from the seller to the calling module (the escrow);
    ///      Listed -> Cancelled returns it to the seller. Verified/Rejected go through `recordVerification`.
    function transition(uint256 invoiceId, Status to) external;

    /// @notice Records an accepted verification report: Minted -> Verified (approved) or Rejected. MODULE_ROLE only.
    function recordVerification(uint256 invoiceId, bool approved, uint8 riskScore, uint16 checks, bytes32 reportId)
        external;
}
