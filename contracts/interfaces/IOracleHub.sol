// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IOracleHub
/// @notice Accepts k-of-n EIP-712 reports from the oracle operators: invoice verifications and bank repayments.
/// @dev EIP-712 domain: name "Hundi OracleHub", version "1", the current chain id and this contract's address.
///      The domain separator is rebuilt whenever `block.chainid` differs from the cached one, so a report signed for
///      another chain or another hub never verifies. A report is accepted only if
///      - at least `threshold` distinct current signers signed it, signatures sorted by signer address;
///      - its `deadline` has not passed;
///      - its reportId (the EIP-712 digest) was never used;
///      - a Verification's `docDigest` equals the on-chain digest;
///      - a Repayment's `bankRef` was never used, so one bank payment cannot be counted twice under another nonce.
///      `checks` bits: 0 GSTIN checksums valid, 1 seller registered and active, 2 buyer registered and active,
///      3 OCR fields match, 4 IRN matches invoiceKey, 5 document digest matches.
interface IOracleHub {
    struct Verification {
        uint256 invoiceId;
        bytes32 docDigest;
        bool approved;
        uint8 riskScore;
        uint16 checks;
        uint64 deadline;
        uint256 nonce;
    }

    struct Repayment {
        uint256 invoiceId;
        uint128 amount;
        bytes32 bankRef;
        uint64 paidAt;
        uint64 deadline;
        uint256 nonce;
    }

    /// @notice Report kinds in `ReportAccepted`.
    /// @dev 0 = Verification, 1 = Repayment.
    event ReportAccepted(bytes32 indexed reportId, uint8 kind, uint256 indexed invoiceId, address submitter);
    event SignerSetUpdated(uint256 version, address[] signers, uint8 threshold);

    error InvalidThreshold(uint8 threshold, uint256 signerCount);
    error InvalidSigner(address signer);
    error ReportExpired(uint64 deadline, uint256 blockTimestamp);
    error ReportAlreadyUsed(bytes32 reportId);
    error BankRefAlreadyUsed(bytes32 bankRef);
    error EmptyBankRef();
    error ZeroAmount();
    error DigestMismatch(uint256 invoiceId, bytes32 onChain, bytes32 reported);
    error InsufficientSignatures(uint256 provided, uint8 threshold);
    error SignaturesNotSorted(address previous, address next);
    error DuplicateSigner(address signer);
    error UnknownSigner(address signer);
    error NotDistributor(address caller);
    error ZeroAddress();

    /// @notice Replaces the signer set. DEFAULT_ADMIN_ROLE only. 1 <= threshold <= signers.length.
    function setSigners(address[] calldata signers, uint8 threshold) external;

    /// @notice Accepts a verification report; moves the invoice Minted -> Verified (approved) or Rejected.
    ///         Callable by anyone holding the signatures.
    function submitVerification(Verification calldata r, bytes[] calldata signatures) external;

    /// @notice Accepts a repayment report and marks it and its bankRef used. RepaymentDistributor only.
    function consumeRepayment(Repayment calldata r, bytes[] calldata signatures) external;

    /// @notice The EIP-712 digest (reportId) of a verification report.
    function hashVerification(Verification calldata r) external view returns (bytes32);
    /// @notice The EIP-712 digest (reportId) of a repayment report.
    function hashRepayment(Repayment calldata r) external view returns (bytes32);

    /// @notice Whether a reportId has been accepted.
    function isReportUsed(bytes32 reportId) external view returns (bool);
    /// @notice Whether a bank reference has been counted.
    function isBankRefUsed(bytes32 bankRef) external view returns (bool);

    /// @notice The current signers, threshold and signer-set version.
    function signerSet() external view returns (address[] memory signers, uint8 threshold, uint256 version);
    /// @notice Whether `account` is in the current signer set.
    function isSigner(address account) external view returns (bool);
    /// @notice The EIP-712 domain separator for the current chain.
    function domainSeparator() external view returns (bytes32);
}
